import { createRequire } from 'node:module';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { GraphQLError, GraphQLObjectType, GraphQLString, parse, type GraphQLResolveInfo, type ObjectTypeDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  accessRefused,
  allowedPrincipals,
  enforceDeclaredScopes,
  principals,
  PUBLIC_SCOPE,
  readRequirement,
  REQUIRES_SCOPES,
  satisfies,
  scopesOf,
  typeTag,
  type Principal,
} from '../../subgraphs/kit/auth/scopes.js';

const cjsGraphql = createRequire(import.meta.url)('graphql') as typeof import('graphql');
const sdl = (text: string) => parse(text);
const everyone: Principal[] = ['anonymous', 'holder', 'verifier', 'issuer', 'analyst', 'admin', 'rule-officer'];

/** The directives written on the first type of a literal SDL snippet. */
function directivesOf(sdl: string) {
  const def = parse(sdl).definitions[0] as ObjectTypeDefinitionNode;
  return def.directives;
}

describe('the scopes a caller holds', () => {
  it('lists every principal: anonymous first, then each role', () => {
    expect(principals).toEqual(everyone);
    expect(REQUIRES_SCOPES).toBe('requiresScopes');
    expect(PUBLIC_SCOPE).toBe('public');
  });

  it('gives an anonymous caller only the public scope', () => {
    expect(scopesOf('anonymous')).toEqual(new Set(['public']));
  });

  it.each(['holder', 'verifier', 'issuer', 'analyst', 'admin', 'rule-officer'] as const)('gives a signed-in %s the public scope and its own role', (role) => {
    expect(scopesOf(role)).toEqual(new Set(['public', role]));
  });
});

describe('whether granted scopes satisfy a declaration', () => {
  it('is satisfied by any one of the alternatives', () => {
    expect(satisfies(new Set(['public', 'issuer']), [['holder'], ['issuer'], ['admin']])).toBe(true);
  });

  it('needs every scope of an alternative', () => {
    expect(satisfies(new Set(['public', 'holder']), [['holder', 'verifier']])).toBe(false);
    expect(satisfies(new Set(['public', 'holder']), [['public', 'holder']])).toBe(true);
  });

  it('is not satisfied when no alternative matches', () => {
    expect(satisfies(new Set(['public', 'verifier']), [['holder'], ['admin']])).toBe(false);
  });

  it('is never satisfied by a declaration with no alternatives', () => {
    expect(satisfies(new Set(['public', 'admin']), [])).toBe(false);
  });
});

describe('the principals a set of declarations lets through', () => {
  it('lets everyone read what is public', () => {
    expect(allowedPrincipals([[['public']]])).toEqual(new Set(everyone));
  });

  it('lets only the named roles read a credential', () => {
    expect(allowedPrincipals([[['holder'], ['issuer'], ['admin']]])).toEqual(new Set(['holder', 'issuer', 'admin']));
  });

  it('lets through only who satisfies the type and the field declaration both', () => {
    // A public region type whose credential count is for analysts, issuers and admins.
    expect(allowedPrincipals([[['public']], [['analyst'], ['issuer'], ['admin']]])).toEqual(new Set(['analyst', 'issuer', 'admin']));
    expect(allowedPrincipals([[['holder'], ['issuer'], ['admin']], [['issuer'], ['analyst']]])).toEqual(new Set(['issuer']));
  });

  it('lets no one through declarations no single role satisfies', () => {
    expect(allowedPrincipals([[['holder']], [['verifier']]])).toEqual(new Set());
  });
});

describe('reading @requiresScopes from SDL directives', () => {
  it('reads every alternative with its scopes, in order', () => {
    const directives = directivesOf('type Credential @key(fields: "id") @requiresScopes(scopes: [["holder"], ["issuer", "admin"]]) { id: ID! }');
    expect(readRequirement(directives)).toEqual([['holder'], ['issuer', 'admin']]);
  });

  it('finds nothing when the declaration is absent', () => {
    expect(readRequirement(directivesOf('type Scenario @key(fields: "code") { code: ID! }'))).toBeUndefined();
    expect(readRequirement(undefined)).toBeUndefined();
    expect(readRequirement([])).toBeUndefined();
  });

  it('reads the directive under the name the supergraph imported it as', () => {
    const directives = directivesOf('type Dispute @scopes(scopes: [["verifier"]]) @requiresScopes(scopes: [["admin"]]) { id: ID! }');
    expect(readRequirement(directives, 'scopes')).toEqual([['verifier']]);
    expect(readRequirement(directives)).toEqual([['admin']]);
    expect(readRequirement(directivesOf('type Dispute @scopes(scopes: [["verifier"]]) { id: ID! }'))).toBeUndefined();
  });

  it.each([
    ['no arguments', '@requiresScopes', '@requiresScopes needs a scopes list'],
    ['another argument', '@requiresScopes(roles: [["holder"]])', '@requiresScopes needs a scopes list'],
    ['a single string', '@requiresScopes(scopes: "holder")', '@requiresScopes needs a scopes list'],
    ['a flat list', '@requiresScopes(scopes: ["holder"])', '@requiresScopes(scopes:) is a list of lists of scopes'],
    ['an enum value as a scope', '@requiresScopes(scopes: [[holder]])', '@requiresScopes scopes are strings'],
  ])('refuses a declaration with %s', (_case, directive, message) => {
    expect(() => readRequirement(directivesOf(`type Holder ${directive} { code: ID! }`))).toThrow(message);
  });

  it('names the imported directive in its complaint', () => {
    expect(() => readRequirement(directivesOf('type Holder @scopes { code: ID! }'), 'scopes')).toThrow('@scopes needs a scopes list');
  });
});

describe('the refusal a caller gets', () => {
  it('asks an anonymous caller to sign in, with HTTP 401', () => {
    const error = accessRefused('anonymous', ['Query.holder', 'Holder.credentials']);
    expect(error).toBeInstanceOf(GraphQLError);
    expect(error.message).toBe('Sign in to read Query.holder, Holder.credentials: anonymous callers see only the public parts of the graph.');
    expect(error.extensions).toEqual({ code: 'UNAUTHENTICATED', fields: ['Query.holder', 'Holder.credentials'], http: { status: 401 } });
  });

  it('tells a signed-in caller its role may not read the fields, with HTTP 403', () => {
    const error = accessRefused('verifier', ['Query.credential']);
    expect(error.message).toBe('The verifier role may not read Query.credential.');
    expect(error.extensions).toEqual({ code: 'FORBIDDEN', fields: ['Query.credential'], http: { status: 403 } });
  });

  it('sets no HTTP status when a subgraph refuses a single field', () => {
    expect(accessRefused('anonymous', ['Holder.code'], { httpStatus: false }).extensions).toEqual({ code: 'UNAUTHENTICATED', fields: ['Holder.code'] });
    expect(accessRefused('analyst', ['Holder.code'], { httpStatus: false }).extensions).toEqual({ code: 'FORBIDDEN', fields: ['Holder.code'] });
  });

  it('names at most twenty fields in the message but lists all of them', () => {
    const coordinates = Array.from({ length: 22 }, (_, i) => `UsageRecord.f${i + 1}`);
    const error = accessRefused('holder', coordinates);
    expect(error.message).toContain('UsageRecord.f1, UsageRecord.f2,');
    expect(error.message).toContain('UsageRecord.f19, UsageRecord.f20.');
    expect(error.message).not.toContain('UsageRecord.f21');
    expect(error.extensions.fields).toEqual(coordinates);
  });
});

describe('telling GraphQL types apart across module builds', () => {
  it('recognises object types of the ESM and the CommonJS graphql build alike', () => {
    const fields = { code: { type: GraphQLString } };
    expect(typeTag(new GraphQLObjectType({ name: 'Scenario', fields }))).toBe('GraphQLObjectType');
    expect(typeTag(new cjsGraphql.GraphQLObjectType({ name: 'Scenario', fields }))).toBe('GraphQLObjectType');
    expect(typeTag(GraphQLString)).toBe('GraphQLScalarType');
  });
});

// A registry-like subgraph: root fields, an entity, a type extension, an undeclared type.
const typeDefs = sdl(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@requiresScopes"])

  type Query @requiresScopes(scopes: [["public"]]) {
    credential(id: ID!): Credential @requiresScopes(scopes: [["holder"], ["issuer"], ["admin"]])
    regions: [Region!]! @requiresScopes(scopes: [["public"]])
    scenarios: [Scenario!]! @requiresScopes(scopes: [["public"]])
    "Declares nothing itself: the root type's declaration does not cover it."
    serverTime: String
  }

  type Mutation @requiresScopes(scopes: [["public"]]) {
    createPresentationCode(credentialId: ID!): String! @requiresScopes(scopes: [["holder"]])
    ping: Boolean
  }

  type Credential @key(fields: "id") @requiresScopes(scopes: [["holder"], ["issuer"], ["admin"]]) {
    id: ID!
    holderName: String!
    usageCount: Int! @requiresScopes(scopes: [["issuer"], ["analyst"]])
    _auditNote: String @requiresScopes(scopes: [["admin"]])
    _service: String @requiresScopes(scopes: [["admin"]])
  }

  type Region @key(fields: "code") {
    code: ID!
    credentialCount: Int! @requiresScopes(scopes: [["analyst"], ["admin"]])
  }
  extend type Region @requiresScopes(scopes: [["public"]])

  type Scenario {
    code: ID!
  }
`);

const credential = { id: '1.2.156.3005.2.11100000000013338W.11370000004320303G.SD0001.001.Y', holderName: '王*明', usageCount: 3, _auditNote: 'checked', _service: 'registry' };
const resolvers = {
  Query: {
    credential: (_: unknown, args: { id: string }) => ({ ...credential, id: args.id }),
    regions: () => [{ code: 'shandong', credentialCount: 120 }],
    scenarios: () => [{ code: 'enterprise-registration' }],
    serverTime: () => '2025-03-01T08:00:00Z',
  },
  Mutation: {
    createPresentationCode: (_: unknown, args: { credentialId: string }) => `code-for-${args.credentialId}`,
    ping: () => true,
  },
  Credential: {
    __resolveReference: (ref: { id: string }) => ({ ...credential, id: ref.id }),
  },
};

describe('a subgraph enforcing its own declarations', () => {
  // Built afresh in each test, so each test exercises the wrapping it relies on.
  const enforcedSchema = () => enforceDeclaredScopes(buildSubgraphSchema([{ typeDefs, resolvers }]));

  async function run(role: Principal | undefined, query: string) {
    const contextValue = role ? { caller: { role } } : {};
    // graphql's CommonJS build, the one @apollo/subgraph builds the schema with.
    const { data, errors } = await cjsGraphql.graphql({ schema: enforcedSchema(), source: query, contextValue });
    return { data, errors: errors?.map((e) => ({ path: e.path, extensions: e.extensions })) };
  }

  const refusal = (code: string, field: string, path: (string | number)[]) => ({ path, extensions: { code, fields: [field] } });

  it('answers a holder reading a credential, through the original resolver and its arguments', async () => {
    const result = await run('holder', '{ credential(id: "C-1") { id holderName } }');
    expect(result).toEqual({ data: { credential: { id: 'C-1', holderName: '王*明' } }, errors: undefined });
  });

  it('refuses an anonymous caller the credential with UNAUTHENTICATED', async () => {
    const result = await run('anonymous', '{ credential(id: "C-1") { id } }');
    expect(result.data).toEqual({ credential: null });
    expect(result.errors).toEqual([refusal('UNAUTHENTICATED', 'Query.credential', ['credential'])]);
  });

  it('treats a request with no caller as anonymous', async () => {
    const result = await run(undefined, '{ credential(id: "C-1") { id } }');
    expect(result.errors).toEqual([refusal('UNAUTHENTICATED', 'Query.credential', ['credential'])]);
  });

  it('refuses a verifier the credential with FORBIDDEN', async () => {
    const result = await run('verifier', '{ credential(id: "C-1") { id } }');
    expect(result.errors).toEqual([refusal('FORBIDDEN', 'Query.credential', ['credential'])]);
  });

  it('applies the field declaration on top of the type declaration', async () => {
    // Credential: holder, issuer, admin; usageCount: issuer, analyst. Only the issuer has both.
    expect((await run('issuer', '{ credential(id: "C-1") { usageCount } }')).data).toEqual({ credential: { usageCount: 3 } });
    const holder = await run('holder', '{ credential(id: "C-1") { holderName usageCount } }');
    expect(holder.data).toEqual({ credential: null });
    expect(holder.errors).toEqual([refusal('FORBIDDEN', 'Credential.usageCount', ['credential', 'usageCount'])]);
    const admin = await run('admin', '{ credential(id: "C-1") { usageCount } }');
    expect(admin.errors).toEqual([refusal('FORBIDDEN', 'Credential.usageCount', ['credential', 'usageCount'])]);
  });

  it('does not let a root field inherit the root type’s declaration', async () => {
    for (const role of ['anonymous', 'admin'] as const) {
      const result = await run(role, '{ serverTime }');
      expect(result.data).toEqual({ serverTime: null });
      expect(result.errors).toEqual([refusal(role === 'anonymous' ? 'UNAUTHENTICATED' : 'FORBIDDEN', 'Query.serverTime', ['serverTime'])]);
    }
    const ping = await run('holder', 'mutation { ping }');
    expect(ping.errors).toEqual([refusal('FORBIDDEN', 'Mutation.ping', ['ping'])]);
  });

  it('lets a holder create a presentation code and refuses a verifier', async () => {
    expect((await run('holder', 'mutation { createPresentationCode(credentialId: "C-1") }')).data).toEqual({ createPresentationCode: 'code-for-C-1' });
    const verifier = await run('verifier', 'mutation { createPresentationCode(credentialId: "C-1") }');
    expect(verifier.errors).toEqual([refusal('FORBIDDEN', 'Mutation.createPresentationCode', ['createPresentationCode'])]);
  });

  it('reads a declaration written on a type extension', async () => {
    expect(await run('anonymous', '{ regions { code } }')).toEqual({ data: { regions: [{ code: 'shandong' }] }, errors: undefined });
    expect((await run('analyst', '{ regions { code credentialCount } }')).data).toEqual({ regions: [{ code: 'shandong', credentialCount: 120 }] });
    const holder = await run('holder', '{ regions { credentialCount } }');
    expect(holder.errors).toEqual([refusal('FORBIDDEN', 'Region.credentialCount', ['regions', 0, 'credentialCount'])]);
  });

  it('refuses to everyone, admin included, a field that declares nothing on itself or its type', async () => {
    for (const role of everyone) {
      const result = await run(role, '{ scenarios { code } }');
      expect(result.errors).toEqual([refusal(role === 'anonymous' ? 'UNAUTHENTICATED' : 'FORBIDDEN', 'Scenario.code', ['scenarios', 0, 'code'])]);
    }
  });

  it('guards a subgraph field whose name starts with an underscore like any other', async () => {
    expect((await run('admin', '{ credential(id: "C-1") { _auditNote } }')).data).toEqual({ credential: { _auditNote: 'checked' } });
    const issuer = await run('issuer', '{ credential(id: "C-1") { _auditNote } }');
    expect(issuer.errors).toEqual([refusal('FORBIDDEN', 'Credential._auditNote', ['credential', '_auditNote'])]);
    // Only Query._service is federation's; a field of that name elsewhere is the subgraph's own.
    const named = await run('issuer', '{ credential(id: "C-1") { _service } }');
    expect(named.errors).toEqual([refusal('FORBIDDEN', 'Credential._service', ['credential', '_service'])]);
  });

  it('keeps federation’s own _entities and _service open, and checks what they return field by field', async () => {
    const entities = '{ _entities(representations: [{ __typename: "Credential", id: "C-2" }]) { ... on Credential { id holderName } } }';
    expect((await run('holder', entities)).data).toEqual({ _entities: [{ id: 'C-2', holderName: '王*明' }] });
    const anonymous = await run('anonymous', entities);
    expect(anonymous.data).toEqual({ _entities: [null] });
    expect(anonymous.errors).toEqual([refusal('UNAUTHENTICATED', 'Credential.id', ['_entities', 0, 'id'])]);
    const sdl = await run('anonymous', '{ _service { sdl } }');
    expect(sdl.errors).toBeUndefined();
    expect((sdl.data as { _service: { sdl: string } })._service.sdl).toContain('type Credential');
  });

  it('leaves introspection to the server', async () => {
    const result = await run('anonymous', '{ __schema { queryType { name } } __type(name: "Scenario") { name } }');
    expect(result).toEqual({ data: { __schema: { queryType: { name: 'Query' } }, __type: { name: 'Scenario' } }, errors: undefined });
  });

  it('throws a field error without an HTTP status, and refuses a call that carries no context at all', () => {
    const field = enforcedSchema().getQueryType()!.getFields().credential!;
    const call = (context: unknown) => field.resolve!(undefined, { id: 'C-1' }, context, {} as GraphQLResolveInfo);
    expect(call({ caller: { role: 'holder' } })).toEqual({ ...credential, id: 'C-1' });
    let thrown: unknown;
    try {
      call(undefined);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(GraphQLError);
    expect((thrown as GraphQLError).extensions).toEqual({ code: 'UNAUTHENTICATED', fields: ['Query.credential'] });
  });

  it('refuses every field of a schema built in code, which declares nothing', async () => {
    const region = new cjsGraphql.GraphQLObjectType({ name: 'Region', fields: { code: { type: cjsGraphql.GraphQLString } } });
    const fields = { region: { type: region, resolve: () => ({ code: 'shandong' }) } };
    // No Mutation type, and types without SDL behind them.
    const schema = enforceDeclaredScopes(new cjsGraphql.GraphQLSchema({ query: new cjsGraphql.GraphQLObjectType({ name: 'Query', fields }) }));
    const result = await cjsGraphql.graphql({ schema, source: '{ region { code } }', contextValue: { caller: { role: 'admin' } } });
    expect(result.errors?.map((e) => e.extensions)).toEqual([{ code: 'FORBIDDEN', fields: ['Query.region'] }]);
    const code = (schema.getType('Region') as GraphQLObjectType).getFields().code!;
    expect(() => code.resolve!({ code: 'shandong' }, {}, { caller: { role: 'admin' } }, { fieldName: 'code' } as GraphQLResolveInfo)).toThrow(
      'The admin role may not read Region.code.',
    );
  });

  it('resolves a plain field through the default resolver once allowed', () => {
    const field = enforcedSchema().getType('Credential') as GraphQLObjectType;
    const holderName = field.getFields().holderName!;
    const info = { fieldName: 'holderName' } as GraphQLResolveInfo;
    expect(holderName.resolve!({ holderName: '李*' }, {}, { caller: { role: 'issuer' } }, info)).toBe('李*');
  });
});

describe('a subgraph naming an entity of another subgraph’s interface (@interfaceObject)', () => {
  const regionTypeDefs = parse(`
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@interfaceObject", "@requiresScopes"])
    type Query { figures: [Figure!]! @requiresScopes(scopes: [["analyst"]]) }
    type Figure @requiresScopes(scopes: [["analyst"]]) { region: Region! }
    type Region @key(fields: "code") @interfaceObject { code: ID! openFigures: Int! }
  `);
  const regionResolvers = {
    Query: { figures: () => [{ region: { code: 'hebei', openFigures: 3 } }] },
  };
  const run = async (query: string) => {
    const schema = enforceDeclaredScopes(buildSubgraphSchema([{ typeDefs: regionTypeDefs, resolvers: regionResolvers }]));
    const { data, errors } = await cjsGraphql.graphql({ schema, source: query, contextValue: { caller: { role: 'analyst' } } });
    return { data, errors: errors?.map((e) => e.extensions.code) };
  };

  it('lets anyone read the key that names the entity', async () => {
    expect(await run('{ figures { region { code } } }')).toEqual({ data: { figures: [{ region: { code: 'hebei' } }] }, errors: undefined });
  });

  it('still refuses a field of such a type that declares nothing', async () => {
    expect((await run('{ figures { region { openFigures } } }')).errors).toEqual(['FORBIDDEN']);
  });
});
