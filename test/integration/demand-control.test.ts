/**
 * Demand control through the gateway: an operation's cost is what it could return, pages counted
 * by their `first` whether written in the operation or passed as a variable, so a large nested
 * read is refused before any subgraph is asked while a single full page goes through.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, TEST_SEED_COUNT, type Stack } from '../support/stack.js';
import { holderToken, seeded } from '../support/verification.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

/** Every call the gateway made to any subgraph, from its Prometheus text. */
const subgraphCalls = (metrics: string) =>
  metrics
    .split('\n')
    .filter((line) => line.startsWith('hutong_subgraph_calls_total{'))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);

const WALLET = `query Wallet($code: ID!, $first: Int) {
  holder(code: $code) {
    credentials(first: $first) { nodes { id whereAccepted { acceptingRegion { code } scenario { code } } } }
  }
}`;

describe('the cost limit at the gateway', () => {
  it('counts a page passed as a variable: a hundred credentials each with where they are accepted is refused, twenty are served', async () => {
    const credential = seeded('yangtze-delta', TEST_SEED_COUNT, { type: 'e-id', province: '32' });
    const token = await holderToken(stack, credential.holderCode);
    const before = subgraphCalls(await stack.metrics('gateway'));
    // holder + page + 100 × (credential + 200 decisions × (decision + region + scenario)) = 60,102
    const refused = await stack.query(WALLET, { code: credential.holderCode, first: 100 }, { token });
    expect(refused.status).toBe(200); // application/json: a request error is 200 (GraphQL over HTTP)
    expect(refused.body.data).toBeUndefined();
    expect(refused.body.errors).toHaveLength(1);
    expect(refused.body.errors[0].message).toBe('Cost limit of 50000 exceeded, found 60102: the operation could return that many objects. Ask for smaller pages (first) or fewer nested lists.');
    expect(refused.body.errors[0].extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', reason: 'COST_LIMIT', cost: 60102, maxCost: 50000 });
    // Refused before planning: no subgraph was asked.
    expect(subgraphCalls(await stack.metrics('gateway'))).toBe(before);

    const served = await stack.query(WALLET, { code: credential.holderCode, first: 20 }, { token });
    expect(served.body.errors).toBeUndefined();
    expect(served.body.data.holder.credentials.nodes.map((c: { id: string }) => c.id)).toContain(credential.id);
  });

  it('serves a full page of a hundred usage records written literally', async () => {
    const credential = seeded('yangtze-delta', TEST_SEED_COUNT, { type: 'e-id', province: '32' });
    const token = await holderToken(stack, credential.holderCode);
    const { status, body } = await stack.query(`{ credential(id: "${credential.id}") { usageRecords(first: 100) { totalCount nodes { id scenario { code } } } } }`, undefined, { token });
    expect(body.errors).toBeUndefined();
    expect(status).toBe(200);
    expect(body.data.credential.usageRecords.totalCount).toBeGreaterThanOrEqual(0);
  });

  it('lets a six-deep query written with fragments through', async () => {
    const credential = seeded('yangtze-delta', TEST_SEED_COUNT, { type: 'e-id', province: '32' });
    const token = await holderToken(stack, credential.holderCode);
    const q = `query Deep($code: ID!) { holder(code: $code) { ...h } }
      fragment h on Holder { credentials(first: 5) { nodes { ...c } } }
      fragment c on Credential { id type { slug } issuingRegion { ...r } usageRecords(first: 5) { nodes { ...u } } }
      fragment u on UsageRecord { id scenario { code nameZh } }
      fragment r on Region { code provinces { code name } }`;
    const { body } = await stack.query(q, { code: credential.holderCode }, { token });
    expect(body.errors).toBeUndefined();
    expect(body.data.holder.credentials.nodes.length).toBeGreaterThan(0);
  });
});
