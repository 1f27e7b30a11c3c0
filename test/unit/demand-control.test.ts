/**
 * The cost of an operation is how many objects it could return: pages count by their `first`
 * (literal, variable or default), lists of known bounds by their declared size, undeclared lists
 * as ten; depth and fragments alone cost nothing extra. The sizes come from
 * `@listSize` in a real composed supergraph.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { Supergraph } from '@apollo/federation-internals';
import { parse, type GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { CostMemo, costLimitPlugin, MUTATION_FIELD_COST, operationCost, readDemandPolicy, UNDECLARED_LIST_SIZE } from '../../gateway/src/cost.js';

const registry = parse(`
extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@listSize", "@shareable"])
type Query {
  holder(code: ID!): Holder
  document(id: ID!): Document
  regions: [Region!]! @listSize(assumedSize: 40)
  scenarios: [Scenario!]!
}
type Mutation { fileDispute(id: ID!): Dispute }
type Holder @key(fields: "code") {
  code: ID!
  credentials(first: Int = 20, after: String): CredentialConnection! @listSize(slicingArguments: ["first"], sizedFields: ["nodes"], requireOneSlicingArgument: false)
}
type CredentialConnection { nodes: [Credential!]! totalCount: Int! pageInfo: PageInfo! }
type PageInfo @shareable { hasNextPage: Boolean! endCursor: String }
type Credential @key(fields: "id") {
  id: ID!
  name: String!
  region: Region!
  faceFields: [FaceField!]! @listSize(assumedSize: 12)
  usageRecords(first: Int = 20): UsageRecordConnection! @listSize(slicingArguments: ["first"], sizedFields: ["nodes"], requireOneSlicingArgument: false)
}
type UsageRecordConnection { nodes: [UsageRecord!]! totalCount: Int! }
type UsageRecord { id: ID! verdict: String! region: Region! }
type FaceField { key: String! value: String! }
type Region { code: ID! name: String! provinces: [String!]! @listSize(assumedSize: 10) }
type Scenario { code: ID! }
interface Document { id: ID! pages: [Page!]! @listSize(assumedSize: 6) }
type Licence implements Document { id: ID! pages: [Page!]! }
type Page { n: Int! }
type Dispute { id: ID! }
`);

const composed = composeServices([{ name: 'registry', typeDefs: registry, url: 'http://127.0.0.1:1/graphql' }]);
if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('\n'));
const sdl = composed.supergraphSdl;
const schema = Supergraph.build(sdl).apiSchema().toGraphQLJSSchema();
const policy = readDemandPolicy(sdl);
const cost = (query: string, variables?: Record<string, unknown>, operationName?: string) => operationCost(schema, parse(query), operationName, variables, policy);

describe('the cost of an operation', () => {
  it('counts each object once and scalars not at all, however deep', () => {
    // holder 1 + connection 1 + pageInfo 1
    expect(cost('{ holder(code: "1") { code credentials(first: 1) { totalCount pageInfo { hasNextPage } } } }')).toBe(3);
  });

  it('multiplies a page by its literal first, its variable, or the argument’s default', () => {
    // holder 1 + connection 1 + first × (credential 1 + region 1)
    expect(cost('{ holder(code: "1") { credentials(first: 5) { nodes { id region { code } } } } }')).toBe(2 + 5 * 2);
    expect(cost('query($n: Int) { holder(code: "1") { credentials(first: $n) { nodes { id region { code } } } } }', { n: 50 })).toBe(2 + 50 * 2);
    expect(cost('{ holder(code: "1") { credentials { nodes { id region { code } } } } }')).toBe(2 + 20 * 2);
    // A variable left out falls back to the default too.
    expect(cost('query($n: Int) { holder(code: "1") { credentials(first: $n) { nodes { id } } } }', {})).toBe(2 + 20);
    expect(cost('query($n: Int = 7) { holder(code: "1") { credentials(first: $n) { nodes { id } } } }', {})).toBe(2 + 7);
    expect(cost('query($n: Int = 7) { holder(code: "1") { credentials(first: $n) { nodes { id } } } }', { n: 3 })).toBe(2 + 3);
    // A null page size returns a default page (kit/pages.ts), so it costs one.
    expect(cost('{ holder(code: "1") { credentials(first: null) { nodes { id } } } }')).toBe(2 + 20);
    expect(cost('query($n: Int = 7) { holder(code: "1") { credentials(first: $n) { nodes { id } } } }', { n: null })).toBe(2 + 20);
  });

  it('multiplies nested lists: pages within pages, and lists of declared size', () => {
    const q = `{ holder(code: "1") { credentials(first: 10) { nodes { faceFields { key } usageRecords(first: 3) { nodes { region { code } } } } } } }`;
    // holder 1 + conn 1 + 10 × (credential 1 + faceFields 12 × 1 + conn 1 + 3 × (record 1 + region 1))
    expect(cost(q)).toBe(2 + 10 * (1 + 12 + 1 + 3 * 2));
    expect(cost('{ regions { code provinces } }')).toBe(40);
  });

  it('counts a list without a declared size as ten', () => {
    expect(UNDECLARED_LIST_SIZE).toBe(10);
    expect(cost('{ scenarios { code } }')).toBe(10);
    expect(policy.undeclaredLists).toEqual(['Query.scenarios']);
  });

  it('sizes an object type’s list by its interface’s declaration', () => {
    expect(cost('{ document(id: "1") { pages { n } ... on Licence { pages { n } } } }')).toBe(1 + 6 + 6);
    expect(policy.listSize('Licence', 'pages')).toEqual({ assumedSize: 6, slicingArguments: undefined, sizedFields: undefined });
  });

  it('counts a fragment at every spread, sized by the page it is spread in', () => {
    const q = `{ holder(code: "1") { credentials(first: 4) { ...page } again: credentials(first: 2) { ...page } } }
      fragment page on CredentialConnection { nodes { ...card } }
      fragment card on Credential { region { code } }`;
    // holder 1 + (1 + 4 × 2) + (1 + 2 × 2)
    expect(cost(q)).toBe(1 + (1 + 8) + (1 + 4));
  });

  it('lets a six-deep query through fragments cost what it reads', () => {
    const q = `query Deep { holder(code: "1") { ...h } }
      fragment h on Holder { credentials(first: 1) { nodes { ...c } } }
      fragment c on Credential { usageRecords(first: 1) { nodes { ...u } } }
      fragment u on UsageRecord { region { code name } }`;
    // holder, connection, credential, connection, record, region
    expect(cost(q, undefined, 'Deep')).toBe(6);
  });

  it('gives a fragment bomb a cost that grows with it, worked out at once', () => {
    const levels = 40;
    const frags = Array.from({ length: levels }, (_, i) =>
      i === levels - 1 ? `fragment F${i} on Query { regions { code } }` : `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`,
    ).join('\n');
    // 2^39 spreads of a 40-object list.
    expect(cost(`{ ...F0 } ${frags}`)).toBe(2 ** 39 * 40);
  });

  it('weighs a mutation’s root field as ten objects', () => {
    expect(MUTATION_FIELD_COST).toBe(10);
    expect(cost('mutation { fileDispute(id: "1") { id } }')).toBe(11);
  });

  it('costs the operation asked for by name, and nothing for an unknown name', () => {
    const doc = 'query A { regions { code } } query B { holder(code: "1") { code } }';
    expect(cost(doc, undefined, 'A')).toBe(40);
    expect(cost(doc, undefined, 'B')).toBe(1);
    expect(cost(doc, undefined, 'C')).toBe(0);
  });

  it('reads @listSize under the name the supergraph imports it as', () => {
    const renamed = sdl.replace('import: ["@listSize"]', 'import: [{name: "@listSize", as: "@size"}]').replaceAll('@listSize(', '@size(');
    expect(renamed).not.toBe(sdl);
    expect(readDemandPolicy(renamed).listSize('Region', 'provinces')).toEqual({ assumedSize: 10, slicingArguments: undefined, sizedFields: undefined });
  });
});

describe('the cost limit', () => {
  const document = parse('{ holder(code: "1") { credentials(first: 5) { nodes { id region { code } } } } }'); // costs 12
  const check = async (maxCost: number) => {
    const listener = await costLimitPlugin(() => policy, maxCost).requestDidStart!({} as never);
    return (listener as { didResolveOperation(c: unknown): Promise<void> }).didResolveOperation({ schema, document, request: { variables: {} }, operationName: undefined });
  };

  it('lets an operation costing exactly the limit through and refuses one more, saying what it found', async () => {
    await expect(check(12)).resolves.toBeUndefined();
    const refusal = await check(11).then(
      () => undefined,
      (e: GraphQLError) => e,
    );
    expect(refusal?.message).toBe('Cost limit of 11 exceeded, found 12: the operation could return that many objects. Ask for smaller pages (first) or fewer nested lists.');
    expect(refusal?.extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED', reason: 'COST_LIMIT', cost: 12, maxCost: 11, http: { status: 400 } });
  });

  it('refuses to run without the list sizes of the schema the request runs on', async () => {
    const listener = await costLimitPlugin(() => undefined, 100).requestDidStart!({} as never);
    await expect((listener as { didResolveOperation(c: unknown): Promise<void> }).didResolveOperation({ schema, document, request: {}, operationName: undefined })).rejects.toThrow('no demand policy loaded');
  });
});

describe('costs kept with their document', () => {
  const query = parse('query Q($code: ID!, $n: Int) { holder(code: $code) { credentials(first: $n) { nodes { id } } } }');
  // holder 1 + connection 1 + one per node
  const counted = (p = policy) => {
    const seen = { walks: 0 };
    return { seen, policy: { ...p, listSize: (t: string, f: string) => (t === 'Holder' && f === 'credentials' && seen.walks++, p.listSize(t, f)) } };
  };

  it('walks an operation once for every value of a variable the cost does not read', () => {
    const { seen, policy: watched } = counted();
    const memo = new CostMemo();
    for (const code of ['1', '2', '3']) expect(memo.cost(schema, query, 'Q', { code, n: 5 }, watched)).toBe(7);
    expect(seen.walks).toBe(1);
  });

  it('costs each page size anew, and a page size left out or null at its default', () => {
    const { seen, policy: watched } = counted();
    const memo = new CostMemo();
    expect(memo.cost(schema, query, 'Q', { code: '1', n: 5 }, watched)).toBe(7);
    expect(memo.cost(schema, query, 'Q', { code: '1', n: 50 }, watched)).toBe(52);
    expect(memo.cost(schema, query, 'Q', { code: '1' }, watched)).toBe(22);
    expect(memo.cost(schema, query, 'Q', { code: '1', n: null }, watched)).toBe(22);
    expect(memo.cost(schema, query, 'Q', { code: '2', n: 50 }, watched)).toBe(52);
    expect(seen.walks).toBe(4);
  });

  it('counts again under another schema’s list sizes', () => {
    const memo = new CostMemo();
    const regions = parse('{ regions { code } }');
    expect(memo.cost(schema, regions, undefined, {}, policy)).toBe(40);
    const smaller = readDemandPolicy(sdl.replace('@listSize(assumedSize: 40)', '@listSize(assumedSize: 7)'));
    expect(memo.cost(schema, regions, undefined, {}, smaller)).toBe(7);
  });

  it('keeps at most the configured number of costs per operation, the oldest out first', () => {
    const { seen, policy: watched } = counted();
    const memo = new CostMemo(2);
    for (const n of [1, 2, 3]) memo.cost(schema, query, 'Q', { code: '1', n }, watched);
    expect(memo.cost(schema, query, 'Q', { code: '1', n: 3 }, watched)).toBe(5);
    expect(seen.walks).toBe(3);
    expect(memo.cost(schema, query, 'Q', { code: '1', n: 1 }, watched)).toBe(3);
    expect(seen.walks).toBe(4);
  });
});

describe('the committed supergraph', () => {
  it('declares the size of every list of objects, so every operation’s cost bounds its answer', () => {
    const committed = readFileSync(path.resolve(import.meta.dirname, '../../schema/supergraph.graphql'), 'utf8');
    expect(readDemandPolicy(committed).undeclaredLists).toEqual([]);
  });
});
