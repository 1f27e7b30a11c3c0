/**
 * No N+1: a registry answers every batch of entities, and every batch of pages under them, with
 * one SQL statement (DataLoader per request), so a holder with eighteen credentials in a region
 * costs that registry as many statements as a holder with three. Counted on the registry's and
 * the catalogue's own databases, with the background relays held still.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialTypeBySlug, provinceByCode } from '../../subgraphs/kit/reference.js';
import { authorityFor } from '../../subgraphs/kit/seed/credentials.js';
import { adminToken } from '../support/identities.js';
import { startStack, type Stack } from '../support/stack.js';
import { issuerToken, present, seeded, verifierNamed, verify } from '../support/verification.js';

const SEED = 40;
const EXTRA = 15;
let stack: Stack;
let many: string; // a holder with EXTRA more credentials in Shandong
let one: string; // a holder with the seeded ones only

beforeAll(async () => {
  // Relays off the clock: only the request's own statements are counted.
  stack = await startStack({ seedCount: SEED, subgraphEnv: { HUTONG_RELAY_INTERVAL_MS: '600000', HUTONG_USAGE_RELAY_INTERVAL_MS: '600000' } });
  const holder = seeded('shandong', SEED, { type: 'e-id' }, 0);
  one = seeded('shandong', SEED, { type: 'e-id' }, 1).holderCode;
  many = holder.holderCode;
  const licence = credentialTypeBySlug('e-driving-licence');
  const authority = authorityFor(provinceByCode('37')!, licence);
  const token = await issuerToken(stack, 'shandong', authority.code, authority.name);
  for (let i = 0; i < EXTRA; i++) {
    const day = String(i + 1).padStart(2, '0');
    const { body } = await stack.query(
      `mutation($input: IssueCredentialInput!) { shandong { issueCredential(input: $input) { id } } }`,
      {
        input: {
          typeCode: licence.code, holderCode: holder.holderCode, holderName: holder.holderName,
          issueDate: `2026-01-${day}`, expiryDate: `2032-01-${day}`, areaCode: '370100',
          faceFields: [{ key: 'licenceClass', value: 'C1' }],
        },
      },
      { token },
    );
    expect(body.errors).toBeUndefined();
  }
  await stack.subgraphs.get('catalogue')!.subgraph.settle!();
});
afterAll(async () => {
  await stack?.stop();
});

const WALLET = `query Wallet($code: ID!) {
  holder(code: $code) {
    credentials(first: 50) {
      totalCount
      nodes {
        id name status faceFields { key value }
        usageRecords(first: 5) { totalCount nodes { id } }
        disputes(first: 5) { nodes { id field } }
      }
    }
  }
}`;

/** The statements each database ran while one operation was answered. */
async function statementsFor(code: string): Promise<{ registry: number; catalogue: number; count: number; registryCalls: number }> {
  const registry = stack.subgraphs.get('shandong')!;
  const catalogue = stack.subgraphs.get('catalogue')!;
  const before = { registry: registry.db.statementCount!(), catalogue: catalogue.db.statementCount!(), calls: stack.graphqlRequests('shandong') };
  const { body } = await stack.query(WALLET, { code }, { token: await adminToken(stack) });
  expect(body.errors).toBeUndefined();
  return {
    registry: registry.db.statementCount!() - before.registry,
    catalogue: catalogue.db.statementCount!() - before.catalogue,
    count: body.data.holder.credentials.nodes.length,
    registryCalls: stack.graphqlRequests('shandong') - before.calls,
  };
}

describe('statements per request', () => {
  it('are the same for a holder with eighteen credentials in a region as for a holder with three', async () => {
    const few = await statementsFor(one);
    const lots = await statementsFor(many);
    // The seeded holders hold an e-ID and two more Shandong credentials each.
    expect(few.count).toBe(3);
    expect(lots.count).toBe(3 + EXTRA);
    // The entities in one statement, then their usage-record pages with their counts and their
    // dispute pages: one statement per batch, whatever the batch's size.
    expect(lots.registry).toBe(4);
    expect(few.registry).toBe(4);
    // The catalogue: the page of the holder's index and its total.
    expect(lots.catalogue).toBe(2);
    expect(few.catalogue).toBe(2);
    // The gateway asks the registry once, for the entities and the fields under them.
    expect(lots.registryCalls).toBe(1);
    expect(few.registryCalls).toBe(1);
  });
});

describe('statements per verification', () => {
  it('read the scenarios, the verifier and the rules with one statement while they are unchanged', async () => {
    const recognition = stack.subgraphs.get('recognition')!;
    const jinanHall = verifierNamed('济南市政务服务中心');
    const eid = seeded('shandong', SEED, { type: 'e-id' }, 2);
    const verdicts: string[] = [];
    const counts: number[] = [];
    for (let i = 0; i < 2; i++) {
      const code = await present(stack, eid, 'service-hall-visit');
      const before = recognition.db.statementCount!();
      const { body } = await verify(stack, jinanHall, code, 'service-hall-visit');
      counts.push(recognition.db.statementCount!() - before);
      verdicts.push(body.data?.verifyPresentation?.verdict ?? JSON.stringify(body.errors));
    }
    expect(verdicts).toEqual(['ACCEPTED', 'ACCEPTED']);
    // One statement for the reference data (its generation, read once for the verification and the
    // fields of its answer), one for the code, one that consumes it and stores the verification
    // with its outbox entry, one that marks the usage record delivered: 4, where reading the
    // verifier, the scenarios and both rule sets took 13, and the same writes as transactions 10.
    expect(counts).toEqual([4, 4]);
  });
});
