import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialStore } from '../../subgraphs/kit/registry/store.js';
import { moverAt, region, regions, seedCredential, TEST_SEED_COUNT_FOR } from '../support/fixtures.js';
import { startStack, type Stack } from '../support/stack.js';
import { adminToken } from '../support/identities.js';
import { holderToken } from '../support/verification.js';

const HOLDER_CREDENTIALS = `query($code: ID!) { holder(code: $code) { credentials { nodes { id status issuingRegion { code } } } } }`;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe('when a regional registry is down', () => {
  it('still serves the other regions and says which registry failed', async () => {
    await stack.stopSubgraph('shandong');
    try {
      const { status, body } = await stack.query(HOLDER_CREDENTIALS, { code: moverAt(0).code }, { token: await holderToken(stack, moverAt(0).code) });
      expect(status).toBe(200);
      const credentials = body.data.holder.credentials.nodes;
      // Shandong's entry is null; the other three regions' entries are complete.
      expect(credentials).toHaveLength(4);
      const present = credentials.filter((c: unknown) => c !== null);
      expect(present.map((c: { issuingRegion: { code: string } }) => c.issuingRegion.code).sort()).toEqual(['chengdu-chongqing', 'hebei', 'yangtze-delta']);
      expect(body.errors?.length).toBeGreaterThan(0);
      expect(body.errors).toContainEqual(
        expect.objectContaining({ extensions: expect.objectContaining({ code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'shandong' }) }),
      );

      const other = await stack.query('query($id: ID!) { credential(id: $id) { id } }', { id: seedCredential(region('yangtze-delta'), 2).id }, { token: await adminToken(stack) });
      expect(other.body.errors).toBeUndefined();
      expect(other.body.data.credential).not.toBeNull();
    } finally {
      await stack.restartSubgraph('shandong');
    }
  });

  it('relays credentials issued during a catalogue-feed outage once the registry is back, losing none', async () => {
    const shandong = stack.subgraphs.get('shandong')!;
    const catalogue = stack.subgraphs.get('catalogue')!;
    await stack.stopSubgraph('shandong');
    // Issued while the catalogue cannot reach the registry: written with its outbox entry.
    const issued = [seedCredential(region('shandong'), 1000), seedCredential(region('shandong'), 1001)];
    await shandong.db.transaction(async (tx) => {
      await CredentialStore.lockOutbox(tx);
      await CredentialStore.insert(tx, issued);
    });
    await expect(catalogue.subgraph.settle!()).rejects.toThrow();

    await stack.restartSubgraph('shandong');
    await catalogue.subgraph.settle!();
    for (const c of issued) {
      const { body } = await stack.query(HOLDER_CREDENTIALS, { code: c.holderCode }, { token: await holderToken(stack, c.holderCode) });
      expect(body.data.holder.credentials.nodes.map((x: { id: string }) => x.id)).toContain(c.id);
    }
    // Relaying again changes nothing: the index applies each outbox entry once.
    await catalogue.subgraph.settle!();
    const rows = await catalogue.db.query<{ n: number }>('select count(*)::int as n from holder_index');
    expect(rows[0]!.n).toBe(TEST_SEED_COUNT_FOR(regions.length) + issued.length);
  });
});
