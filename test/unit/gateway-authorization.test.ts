import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { composeServices } from '@apollo/composition';
import { Supergraph } from '@apollo/federation-internals';
import { ApolloServer } from '@apollo/server';
import { buildSchema, parse, type GraphQLSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { supergraphPath } from '../../scripts/composition.js';
import { authorizationPlugin, readAccessPolicy, refusedFields, type AccessPolicy } from '../../gateway/src/authorization.js';
import type { IntrospectionMode } from '../../gateway/src/config.js';
import type { Caller } from '../../subgraphs/kit/auth/caller.js';
import type { Principal } from '../../subgraphs/kit/auth/scopes.js';

const everyone: Principal[] = ['anonymous', 'holder', 'verifier', 'issuer', 'analyst', 'admin'];
const sdl = (text: string) => parse(text);
const sorted = (set: Set<Principal>) => everyone.filter((p) => set.has(p));

/** The API schema the gateway library serves for a supergraph (built with graphql's CommonJS build). */
const apiSchemas = new Map<string, GraphQLSchema>();
function apiSchema(executableSdl: string): GraphQLSchema {
  let schema = apiSchemas.get(executableSdl);
  if (!schema) {
    schema = Supergraph.build(executableSdl).apiSchema().toGraphQLJSSchema() as unknown as GraphQLSchema;
    apiSchemas.set(executableSdl, schema);
  }
  return schema;
}

// Just enough of a supergraph for readAccessPolicy, which reads the SDL as written.
const linkHeader = (requiresScopesLink: string) => `
schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.5", for: EXECUTION)
  ${requiresScopesLink}
{
  query: Query
  mutation: Mutation
}
`;

const handWritten = `${linkHeader('@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)')}
type Query @requiresScopes(scopes: [["public"]]) {
  credential(id: ID!): Credential @requiresScopes(scopes: [["holder"], ["issuer"], ["admin"]])
  serverTime: String
}
type Mutation @requiresScopes(scopes: [["public"]]) {
  verifyPresentation(code: String!): Verification @requiresScopes(scopes: [["verifier"]])
  ping: Boolean
}
interface Node @requiresScopes(scopes: [["public"]]) {
  id: ID!
}
type Credential implements Node @requiresScopes(scopes: [["holder"], ["issuer"], ["admin"]]) {
  id: ID!
  holderName: String!
  usageCount: Int! @requiresScopes(scopes: [["issuer"], ["analyst"]])
}
type Verification {
  id: ID!
  verdict: String! @requiresScopes(scopes: [["verifier"], ["admin"]])
}
type Scenario {
  code: ID!
}
type Placeholder @requiresScopes(scopes: [["public"]])
type Subscription @requiresScopes(scopes: [["public"]]) {
  verificationRecorded: String
}
type join__Owner {
  graph: String
}
type link__Record {
  url: String
}
`;

describe('reading the access policy from a supergraph', () => {
  // Read in each test (not while collecting), so a fault in reading fails the tests that use it.
  const policyOf = () => readAccessPolicy(handWritten).policy;

  it('lets through only who satisfies the type and the field declaration both', () => {
    expect(sorted(policyOf().allowed('Credential', 'holderName'))).toEqual(['holder', 'issuer', 'admin']);
    expect(sorted(policyOf().allowed('Credential', 'usageCount'))).toEqual(['issuer']);
    expect(sorted(policyOf().allowed('Verification', 'verdict'))).toEqual(['verifier', 'admin']);
    // Asked again, the answer is the same.
    expect(sorted(policyOf().allowed('Credential', 'usageCount'))).toEqual(['issuer']);
  });

  it('refuses to everyone a field that declares nothing on itself or its type', () => {
    expect(sorted(policyOf().allowed('Scenario', 'code'))).toEqual([]);
    expect(sorted(policyOf().allowed('Verification', 'id'))).toEqual([]);
  });

  it('does not let root fields inherit a declaration on Query or Mutation', () => {
    expect(sorted(policyOf().allowed('Query', 'credential'))).toEqual(['holder', 'issuer', 'admin']);
    expect(sorted(policyOf().allowed('Mutation', 'verifyPresentation'))).toEqual(['verifier']);
    expect(sorted(policyOf().allowed('Query', 'serverTime'))).toEqual([]);
    expect(sorted(policyOf().allowed('Mutation', 'ping'))).toEqual([]);
    expect(sorted(policyOf().allowed('Subscription', 'verificationRecorded'))).toEqual([]);
  });

  it('lists the object fields that declare no access, skipping interfaces and the spec’s own types', () => {
    expect(policyOf().undeclared).toEqual(['Query.serverTime', 'Mutation.ping', 'Verification.id', 'Scenario.code', 'Subscription.verificationRecorded']);
  });

  it('drops the SECURITY purpose from the requiresScopes link only, so the gateway library loads the supergraph', () => {
    const { executableSdl } = readAccessPolicy(handWritten);
    expect(executableSdl).toContain('@link(url: "https://specs.apollo.dev/requiresScopes/v0.1") {');
    expect(executableSdl).toContain('@link(url: "https://specs.apollo.dev/join/v0.5", for: EXECUTION)');
    expect(executableSdl).not.toContain('SECURITY');
    // The declarations themselves stay.
    expect(executableSdl).toContain('usageCount: Int! @requiresScopes(scopes: [["issuer"], ["analyst"]])');
  });

  it('reads the declarations under the name the link imports them as', () => {
    const sdl = `${linkHeader('@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", as: "scopes", for: SECURITY)')}
type Query {
  holder(code: ID!): Holder @scopes(scopes: [["holder"], ["admin"]])
  regions: [String] @requiresScopes(scopes: [["public"]])
}
type Holder @scopes(scopes: [["holder"], ["admin"]]) {
  code: ID!
}
`;
    const renamed = readAccessPolicy(sdl);
    expect(sorted(renamed.policy.allowed('Query', 'holder'))).toEqual(['holder', 'admin']);
    expect(sorted(renamed.policy.allowed('Holder', 'code'))).toEqual(['holder', 'admin']);
    expect(renamed.policy.undeclared).toEqual(['Query.regions']);
    expect(renamed.executableSdl).toContain('@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", as: "scopes") {');
  });

  it('takes the import name written as a bare name too', () => {
    const sdl = `${linkHeader('@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", as: scopes, for: SECURITY)')}
type Query {
  holder(code: ID!): String @scopes(scopes: [["holder"]])
}
`;
    expect(sorted(readAccessPolicy(sdl).policy.allowed('Query', 'holder'))).toEqual(['holder']);
  });

  it('keeps the import name whatever order the links come in', () => {
    const sdl = `
schema
  @link(url: "https://specs.apollo.dev/requiresScopes/v0.1", as: "scopes", for: SECURITY)
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.5", for: EXECUTION)
{
  query: Query
}
type Query {
  holder(code: ID!): String @scopes(scopes: [["holder"]])
}
`;
    expect(sorted(readAccessPolicy(sdl).policy.allowed('Query', 'holder'))).toEqual(['holder']);
  });

  it('ignores an import name that is not a name', () => {
    const sdl = `${linkHeader('@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", as: 5, for: SECURITY)')}
type Query {
  holder(code: ID!): String @requiresScopes(scopes: [["holder"]])
}
`;
    expect(sorted(readAccessPolicy(sdl).policy.allowed('Query', 'holder'))).toEqual(['holder']);
  });

  it('takes only @link directives as feature imports', () => {
    const sdl = `extend schema @contact(name: "Policy team", url: "https://specs.apollo.dev/policy/v0.1")
type Query { scenarios: [String] @requiresScopes(scopes: [["public"]]) }`;
    expect(sorted(readAccessPolicy(sdl).policy.allowed('Query', 'scenarios'))).toEqual(everyone);
  });

  it('reads @requiresScopes by its own name in a supergraph that does not link the spec', () => {
    const sdl = 'schema { query: Query }\ntype Query { scenarios: [String] @requiresScopes(scopes: [["public"]]) }';
    const unlinked = readAccessPolicy(sdl);
    expect(sorted(unlinked.policy.allowed('Query', 'scenarios'))).toEqual(everyone);
    expect(unlinked.policy.undeclared).toEqual([]);
  });

  it.each([
    ['https://specs.apollo.dev/authenticated/v0.1'],
    ['https://specs.apollo.dev/policy/v0.1'],
  ])('refuses a supergraph that uses %s, which Hutong does not enforce', (url) => {
    const sdl = `${linkHeader(`@link(url: "${url}", for: SECURITY)`)}\ntype Query { a: String @requiresScopes(scopes: [["public"]]) }`;
    expect(() => readAccessPolicy(sdl)).toThrow(`The supergraph uses ${url}, which the Hutong gateway does not enforce; declare access with @requiresScopes.`);
  });

  it('finds the security links on a schema extension too', () => {
    const sdl = 'extend schema @link(url: "https://specs.apollo.dev/policy/v0.1", for: SECURITY)\ntype Query { a: String }';
    expect(() => readAccessPolicy(sdl)).toThrow('The supergraph uses https://specs.apollo.dev/policy/v0.1');
  });
});

// Two small subgraphs, composed as the project composes its own.
const catalogue = sdl(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@requiresScopes"])

  type Query {
    credential(id: ID!): Credential @requiresScopes(scopes: [["holder"], ["issuer"], ["admin"]])
    holder(code: ID!): Holder @requiresScopes(scopes: [["holder"], ["admin"]])
    regions: [Region!]! @requiresScopes(scopes: [["public"]])
    catalogueSearch(text: String!): [CatalogueEntry!]! @requiresScopes(scopes: [["public"]])
    verifiedCredential(verificationId: ID!): Credential @requiresScopes(scopes: [["verifier"], ["admin"]])
  }

  interface Credential {
    id: ID!
    name: String!
    holderName: String!
  }

  "Shandong lets verifiers read its credentials' holder names; Yangtze Delta does not."
  type ShandongCredential implements Credential @key(fields: "id") @requiresScopes(scopes: [["holder"], ["verifier"], ["issuer"], ["admin"]]) {
    id: ID!
    name: String!
    holderName: String!
    faceValue: String! @requiresScopes(scopes: [["holder"], ["admin"]])
  }

  type YangtzeDeltaCredential implements Credential @key(fields: "id") @requiresScopes(scopes: [["holder"], ["verifier"], ["issuer"], ["admin"]]) {
    id: ID!
    name: String!
    holderName: String! @requiresScopes(scopes: [["holder"], ["issuer"], ["admin"]])
  }

  type Holder @key(fields: "code") @requiresScopes(scopes: [["holder"], ["admin"]]) {
    code: ID!
    credentials: [Credential]!
  }

  interface Region {
    code: ID!
    credentialCount: Int!
  }

  type ShandongRegion implements Region @key(fields: "code") @requiresScopes(scopes: [["public"]]) {
    code: ID!
    credentialCount: Int! @requiresScopes(scopes: [["analyst"], ["issuer"], ["admin"]])
  }

  type YangtzeDeltaRegion implements Region @key(fields: "code") @requiresScopes(scopes: [["public"]]) {
    code: ID!
    credentialCount: Int! @requiresScopes(scopes: [["issuer"], ["admin"]])
  }

  union CatalogueEntry = CredentialType | Scenario

  type CredentialType @requiresScopes(scopes: [["public"]]) {
    code: ID!
    name: String!
    definingAuthority: String! @requiresScopes(scopes: [["admin"]])
  }

  type Scenario @requiresScopes(scopes: [["public"]]) {
    code: ID!
    name: String!
  }
`);

const recognition = sdl(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@requiresScopes"])

  type Query {
    verification(id: ID!): Verification @requiresScopes(scopes: [["verifier"], ["admin"]])
  }

  type Mutation {
    createPresentationCode(credentialId: ID!): PresentationCode! @requiresScopes(scopes: [["holder"]])
    verifyPresentation(code: String!): Verification! @requiresScopes(scopes: [["verifier"]])
  }

  type PresentationCode @requiresScopes(scopes: [["holder"]]) {
    code: String!
    expiresAt: String!
  }

  type Verification @key(fields: "id") @requiresScopes(scopes: [["verifier"], ["admin"]]) {
    id: ID!
    verdict: String!
    trace: [String!]! @requiresScopes(scopes: [["admin"]])
  }
`);

function composeSmallSupergraph(): string {
  const result = composeServices([
    { name: 'catalogue', url: 'http://127.0.0.1:4001/graphql', typeDefs: catalogue },
    { name: 'recognition', url: 'http://127.0.0.1:4005/graphql', typeDefs: recognition },
  ]);
  if (result.errors) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return result.supergraphSdl;
}

describe('the fields of an operation a caller may not read', () => {
  const smallSupergraph = composeSmallSupergraph();
  const refused = (principal: Principal, query: string, operationName?: string | null, mayIntrospect?: boolean) => {
    const { policy, executableSdl } = readAccessPolicy(smallSupergraph);
    return refusedFields(apiSchema(executableSdl), parse(query), operationName, policy, principal, mayIntrospect);
  };

  it('declares access for every field of the composed supergraph', () => {
    expect(readAccessPolicy(smallSupergraph).policy.undeclared).toEqual([]);
  });

  it('refuses nothing a caller may read', () => {
    expect(refused('holder', '{ credential(id: "C-1") { id name holderName } }')).toEqual([]);
    expect(refused('anonymous', '{ regions { code } catalogueSearch(text: "驾驶证") { __typename } }')).toEqual([]);
  });

  it('names the root field an anonymous caller may not read', () => {
    expect(refused('anonymous', '{ credential(id: "C-1") { __typename } }')).toEqual(['Query.credential']);
  });

  it('names every refused field once, by its field name and not its alias', () => {
    const query = '{ mine: holder(code: "H") { code } again: holder(code: "H") { code credentials { __typename } } }';
    expect(refused('verifier', query)).toEqual(['Query.holder', 'Holder.code', 'Holder.credentials']);
  });

  it('checks the fields nested under lists and non-null types', () => {
    expect(refused('holder', '{ holder(code: "H") { credentials { ... on ShandongCredential { faceValue } } } }')).toEqual([]);
    expect(refused('issuer', '{ holder(code: "H") { credentials { ... on ShandongCredential { faceValue } } } }')).toEqual([
      'Query.holder',
      'Holder.credentials',
      'ShandongCredential.faceValue',
    ]);
  });

  it('names the interface field when every implementation refuses it', () => {
    expect(refused('anonymous', '{ regions { code credentialCount } }')).toEqual(['Region.credentialCount']);
    expect(refused('verifier', '{ regions { credentialCount } }')).toEqual(['Region.credentialCount']);
  });

  it('names only the implementations that refuse an interface field', () => {
    expect(refused('analyst', '{ regions { credentialCount } }')).toEqual(['YangtzeDeltaRegion.credentialCount']);
    expect(refused('issuer', '{ regions { credentialCount } }')).toEqual([]);
    expect(refused('verifier', '{ verifiedCredential(verificationId: "V-1") { id name holderName } }')).toEqual(['YangtzeDeltaCredential.holderName']);
  });

  it('checks the fields of inline fragments on an implementation', () => {
    const query = '{ verifiedCredential(verificationId: "V-1") { ... on ShandongCredential { holderName faceValue } ... on YangtzeDeltaCredential { name holderName } } }';
    expect(refused('verifier', query)).toEqual(['ShandongCredential.faceValue', 'YangtzeDeltaCredential.holderName']);
  });

  it('checks the fields of an inline fragment without a type condition', () => {
    expect(refused('anonymous', '{ regions { ... @include(if: true) { credentialCount } } }')).toEqual(['Region.credentialCount']);
  });

  it('checks the fields of named fragments, each fragment on its own', () => {
    const query = `
      query Wallet { holder(code: "H") { ...HolderCode credentials { ...CredentialName } } }
      fragment HolderCode on Holder { code }
      fragment CredentialName on Credential { name }`;
    expect(refused('anonymous', query)).toEqual(['Query.holder', 'Holder.code', 'Holder.credentials', 'Credential.name']);
    expect(refused('holder', query)).toEqual([]);
  });

  it('checks a named fragment spread inside an inline fragment of a union member', () => {
    const query = `
      { catalogueSearch(text: "驾驶证") { __typename ... on CredentialType { ...Authority } ... on Scenario { name } } }
      fragment Authority on CredentialType { code definingAuthority }`;
    expect(refused('issuer', query)).toEqual(['CredentialType.definingAuthority']);
    expect(refused('admin', query)).toEqual([]);
  });

  it('checks a fragment used at several places', () => {
    const query = `
      { verification(id: "V-1") { ...Checked } again: verification(id: "V-2") { ...Checked } }
      fragment Checked on Verification { verdict trace }`;
    expect(refused('verifier', query)).toEqual(['Verification.trace']);
    expect(refused('holder', query)).toEqual(['Query.verification', 'Verification.verdict', 'Verification.trace']);
  });

  it('checks the operation the request names, not the others in the document', () => {
    const document = `
      query Regions { regions { code } }
      query Verification { verification(id: "V-1") { verdict } }`;
    expect(refused('anonymous', document, 'Regions')).toEqual([]);
    expect(refused('anonymous', document, 'Verification')).toEqual(['Query.verification', 'Verification.verdict']);
    expect(refused('anonymous', document, null)).toEqual([]);
  });

  it('checks mutations against the Mutation root', () => {
    expect(refused('verifier', 'mutation { createPresentationCode(credentialId: "C-1") { code } }')).toEqual([
      'Mutation.createPresentationCode',
      'PresentationCode.code',
    ]);
    expect(refused('verifier', 'mutation { verifyPresentation(code: "P") { verdict } }')).toEqual([]);
  });

  it('refuses introspection only when the caller may not introspect, and never __typename', () => {
    const query = '{ __typename __schema { queryType { name } } __type(name: "Scenario") { name } }';
    expect(refused('holder', query, undefined, false)).toEqual(['Query.__schema', 'Query.__type']);
    expect(refused('holder', query, undefined, true)).toEqual([]);
    expect(refused('holder', query)).toEqual([]);
    const viaFragment = '{ ...Meta } fragment Meta on Query { __schema { types { name } } }';
    expect(refused('anonymous', viaFragment, undefined, false)).toEqual(['Query.__schema']);
  });

  it('finds the operation after the fragments it uses', () => {
    const document = `
      fragment HolderCode on Holder { code }
      { holder(code: "H") { ...HolderCode } }`;
    expect(refused('verifier', document)).toEqual(['Query.holder', 'Holder.code']);
    expect(refused('verifier', document, null)).toEqual(['Query.holder', 'Holder.code']);
  });

  it('does not walk into selections on a type that cannot have fields (validation rejects them)', () => {
    expect(refused('anonymous', '{ regions { code { ... on Holder { code } } } }')).toEqual([]);
    expect(refused('anonymous', '{ regions { ... on String { ... on Holder { code } } } }')).toEqual([]);
    expect(refused('anonymous', '{ regions { ...OnString } } fragment OnString on String { ... on Holder { code } }')).toEqual([]);
    expect(refused('anonymous', 'subscription { ... on Holder { code } }')).toEqual([]);
    expect(refused('anonymous', '{ regions }')).toEqual([]);
  });

  it('leaves to validation what validation rejects: unknown fields, fragments and types, operations and fragment cycles', () => {
    expect(refused('anonymous', '{ regions { population } }')).toEqual([]);
    expect(refused('anonymous', '{ regions { ...Missing } }')).toEqual([]);
    expect(refused('anonymous', '{ regions { ...Unknown } } fragment Unknown on Nowhere { code }')).toEqual([]);
    expect(refused('anonymous', '{ regions { ... on Nowhere { code } } }')).toEqual([]);
    expect(refused('anonymous', '{ catalogueSearch(text: "x") { code } }')).toEqual([]);
    expect(refused('anonymous', 'subscription { regions { code } }')).toEqual([]);
    expect(refused('anonymous', 'query Regions { regions { code } }', 'Holder')).toEqual([]);
    expect(refused('anonymous', '{ holder(code: "H") { code } }', 'Wallet')).toEqual([]);
    expect(refused('anonymous', 'fragment Only on Query { regions { code } }')).toEqual([]);
    const cycle = '{ holder(code: "H") { ...A } } fragment A on Holder { code ...B } fragment B on Holder { credentials { __typename } ...A }';
    expect(refused('verifier', cycle)).toEqual(['Query.holder', 'Holder.code', 'Holder.credentials']);
  });
});

describe('an interface no type implements', () => {
  it('refuses nothing through it, since no value can come back', () => {
    const sdl = `
type Query {
  pendingCredentials: [PendingCredential!]! @requiresScopes(scopes: [["public"]])
}
interface PendingCredential {
  id: ID!
}
`;
    const schema = buildSchema(`directive @requiresScopes(scopes: [[String!]!]!) on FIELD_DEFINITION | OBJECT\n${sdl}`);
    const { policy } = readAccessPolicy(sdl);
    expect(refusedFields(schema, parse('{ pendingCredentials { id } }'), undefined, policy, 'anonymous')).toEqual([]);
  });
});

describe('Hutong’s real supergraph', () => {
  const supergraphSdl = readFileSync(supergraphPath, 'utf8');

  it('declares access for every field', () => {
    expect(readAccessPolicy(supergraphSdl).policy.undeclared).toEqual([]);
  });

  it.each([
    ['Query', 'credential', ['holder', 'issuer', 'admin']],
    ['Query', 'holder', ['holder', 'admin']],
    ['Query', 'regions', everyone],
    ['Query', 'recognitionRules', everyone],
    ['Query', 'verification', ['verifier', 'admin']],
    ['Mutation', 'createPresentationCode', ['holder']],
    ['Mutation', 'verifyPresentation', ['verifier']],
    ['Mutation', 'fileDispute', ['holder', 'verifier']],
    ['Mutation', 'shandong', ['issuer']],
    ['Mutation', 'yangtzeDelta', ['issuer']],
    ['ShandongRegistryMutations', 'revokeCredential', ['issuer']],
    ['ChengduChongqingRegistryMutations', 'correctCredential', ['issuer']],
    ['ShandongCredential', 'holderCode', ['holder', 'issuer', 'admin']],
    ['YangtzeDeltaCredential', 'usageRecords', ['holder', 'issuer', 'admin']],
    ['ShandongRegion', 'code', everyone],
    ['ShandongRegion', 'credentialCount', ['issuer', 'analyst', 'admin']],
    ['StatusCount', 'count', ['issuer', 'analyst', 'admin']],
    ['Holder', 'credentials', ['holder', 'admin']],
    ['UsageRecord', 'verifierName', ['holder', 'issuer', 'admin']],
    ['Dispute', 'claim', ['holder', 'verifier', 'issuer', 'admin']],
    ['PresentationCode', 'code', ['holder']],
    ['Verification', 'verdict', ['verifier', 'admin']],
    ['ReleasedField', 'value', ['verifier', 'admin']],
    ['RuleTraceEntry', 'detail', ['verifier', 'admin']],
    ['RecognitionRule', 'legalBasis', everyone],
    ['Verifier', 'organisation', everyone],
    ['FaceField', 'value', ['holder', 'issuer', 'admin']],
  ] as const)('lets %s.%s be read by %j only', (type, field, expected) => {
    expect(sorted(readAccessPolicy(supergraphSdl).policy.allowed(type, field))).toEqual(expected);
  });

  it('refuses through the Region interface the counts to anonymous callers and verifiers, and lets analysts see them', () => {
    const { policy, executableSdl } = readAccessPolicy(supergraphSdl);
    const schema = apiSchema(executableSdl);
    const query = parse('{ regions { code nameZh credentialCount credentialCountByStatus { status count } } }');
    const refusedTo = (principal: Principal) => refusedFields(schema, query, undefined, policy, principal);
    expect(refusedTo('anonymous')).toEqual(['Region.credentialCount', 'Region.credentialCountByStatus', 'StatusCount.status', 'StatusCount.count']);
    expect(refusedTo('verifier')).toEqual(['Region.credentialCount', 'Region.credentialCountByStatus', 'StatusCount.status', 'StatusCount.count']);
    expect(refusedTo('analyst')).toEqual([]);
    const credential = parse('{ credential(id: "x") { name holderName ... on ShandongCredential { faceFields { value } } } }');
    expect(refusedFields(schema, credential, undefined, policy, 'analyst')).toEqual([
      'Query.credential',
      'Credential.name',
      'Credential.holderName',
      'ShandongCredential.faceFields',
      'FaceField.value',
    ]);
    expect(refusedFields(schema, credential, undefined, policy, 'holder')).toEqual([]);
  });
});

// The plugin as the gateway runs it, in front of a schema with the same declarations.
describe('the gateway refusing an operation before planning', () => {
  const sdl = `${linkHeader('@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)')}
directive @link(url: String, as: String, for: link__Purpose) repeatable on SCHEMA
directive @requiresScopes(scopes: [[String!]!]!) on FIELD_DEFINITION | OBJECT
enum link__Purpose { SECURITY EXECUTION }
type Query {
  scenarios: [Scenario!]! @requiresScopes(scopes: [["public"]])
  holder(code: ID!): Holder @requiresScopes(scopes: [["holder"], ["admin"]])
}
type Mutation {
  createPresentationCode(credentialId: ID!): String! @requiresScopes(scopes: [["holder"]])
}
type Scenario @requiresScopes(scopes: [["public"]]) {
  code: ID!
}
type Holder @requiresScopes(scopes: [["holder"], ["admin"]]) {
  code: ID!
}
`;
  const rootValue = {
    scenarios: [{ code: 'enterprise-registration' }],
    holder: { code: '110101199003077777' },
    createPresentationCode: 'P-1',
  };
  const servers: ApolloServer<{ caller: Caller }>[] = [];
  async function serve(introspection: IntrospectionMode, current: () => AccessPolicy | undefined = () => readAccessPolicy(sdl).policy) {
    const server = new ApolloServer<{ caller: Caller }>({
      // graphql's CommonJS build, as @apollo/server and the gateway library load it.
      schema: (createRequire(import.meta.url)('graphql') as typeof import('graphql')).buildSchema(sdl),
      rootValue,
      introspection: true,
      includeStacktraceInErrorResponses: false,
      plugins: [authorizationPlugin(current, introspection)],
    });
    await server.start();
    servers.push(server);
    return async (role: Principal, query: string, operationName?: string) => {
      const response = await server.executeOperation({ query, ...(operationName ? { operationName } : {}) }, { contextValue: { caller: { role } } });
      if (response.body.kind !== 'single') throw new Error('expected a single result');
      const { data, errors } = response.body.singleResult;
      return { status: response.http.status, data, errors: errors?.map((e) => ({ message: e.message, extensions: e.extensions })) };
    };
  }
  let everyoneIntrospects: Awaited<ReturnType<typeof serve>>;
  let analystsIntrospect: Awaited<ReturnType<typeof serve>>;
  let introspectionOff: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    everyoneIntrospects = await serve('everyone');
    analystsIntrospect = await serve('analysts');
    introspectionOff = await serve('off');
  });
  afterAll(async () => {
    for (const server of servers) await server.stop();
  });

  it('runs an operation whose every field the caller may read', async () => {
    expect(await everyoneIntrospects('anonymous', '{ scenarios { code } }')).toEqual({
      status: undefined,
      data: { scenarios: [{ code: 'enterprise-registration' }] },
      errors: undefined,
    });
    expect((await everyoneIntrospects('holder', '{ holder(code: "H") { code } }')).data).toEqual({ holder: { code: '110101199003077777' } });
  });

  it('refuses an anonymous caller the whole operation with 401 UNAUTHENTICATED, naming the fields', async () => {
    expect(await everyoneIntrospects('anonymous', '{ scenarios { code } holder(code: "H") { code } }')).toEqual({
      status: 401,
      data: undefined,
      errors: [
        {
          message: 'Sign in to read Query.holder, Holder.code: anonymous callers see only the public parts of the graph.',
          extensions: { code: 'UNAUTHENTICATED', fields: ['Query.holder', 'Holder.code'] },
        },
      ],
    });
  });

  it('refuses a signed-in caller with 403 FORBIDDEN, naming the fields', async () => {
    expect(await everyoneIntrospects('verifier', 'mutation { createPresentationCode(credentialId: "C-1") }')).toEqual({
      status: 403,
      data: undefined,
      errors: [{ message: 'The verifier role may not read Mutation.createPresentationCode.', extensions: { code: 'FORBIDDEN', fields: ['Mutation.createPresentationCode'] } }],
    });
  });

  it('lets everyone introspect when introspection is open to everyone', async () => {
    const result = await everyoneIntrospects('anonymous', '{ __schema { queryType { name } } }');
    expect(result.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });

  it.each([
    ['anonymous', 401, 'UNAUTHENTICATED'],
    ['holder', 403, 'FORBIDDEN'],
    ['verifier', 403, 'FORBIDDEN'],
    ['issuer', 403, 'FORBIDDEN'],
  ] as const)('refuses introspection to %s when only analysts may introspect', async (role, status, code) => {
    const result = await analystsIntrospect(role, '{ __type(name: "Holder") { name } }');
    expect(result.status).toBe(status);
    expect(result.errors).toEqual([expect.objectContaining({ extensions: { code, fields: ['Query.__type'] } })]);
  });

  it.each(['analyst', 'admin'] as const)('lets %s introspect when only analysts may', async (role) => {
    const result = await analystsIntrospect(role, '{ __type(name: "Holder") { name } }');
    expect(result).toEqual({ status: undefined, data: { __type: { name: 'Holder' } }, errors: undefined });
  });

  it('leaves introspection to the server when it is off, as the server refuses it itself', async () => {
    const result = await introspectionOff('holder', '{ __type(name: "Holder") { name } }');
    expect(result.data).toEqual({ __type: { name: 'Holder' } });
  });

  it('decides one query text again for each role and each of its operations', async () => {
    // One policy object for every request, as the gateway keeps one per schema.
    const policy = readAccessPolicy(sdl).policy;
    const run = await serve('everyone', () => policy);
    const holderQuery = '{ holder(code: "H") { code } }';
    const outcome = async (role: Principal, query: string, operationName?: string) => (await run(role, query, operationName)).errors?.[0]?.extensions?.code ?? 'ok';
    expect([await outcome('holder', holderQuery), await outcome('verifier', holderQuery), await outcome('holder', holderQuery), await outcome('anonymous', holderQuery)]).toEqual([
      'ok',
      'FORBIDDEN',
      'ok',
      'UNAUTHENTICATED',
    ]);
    const twoOperations = 'query Public { scenarios { code } } query Private { holder(code: "H") { code } }';
    expect([await outcome('anonymous', twoOperations, 'Public'), await outcome('anonymous', twoOperations, 'Private'), await outcome('anonymous', twoOperations, 'Public')]).toEqual([
      'ok',
      'UNAUTHENTICATED',
      'ok',
    ]);
  });

  it('reads the policy current at each request', async () => {
    let current: AccessPolicy | undefined;
    const run = await serve('everyone', () => current);
    const failed = await run('holder', '{ scenarios { code } }');
    expect(failed.status).toBe(500);
    expect(failed.errors?.[0]?.message).toBe('no access policy loaded');
    current = readAccessPolicy(sdl.replace('scenarios: [Scenario!]! @requiresScopes(scopes: [["public"]])', 'scenarios: [Scenario!]! @requiresScopes(scopes: [["admin"]])')).policy;
    expect((await run('holder', '{ scenarios { code } }')).status).toBe(403);
    current = readAccessPolicy(sdl).policy;
    expect((await run('holder', '{ scenarios { code } }')).errors).toBeUndefined();
  });
});
