import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { moverAt, regions, seedCredential } from '../support/fixtures.js';
import { startStack, TEST_SEED_COUNT } from '../support/stack.js';
import { analystToken, regionIssuerToken } from '../support/identities.js';
import { holderToken } from '../support/verification.js';

const dataRoot = mkdtempSync(path.join(tmpdir(), 'hutong-data-'));
afterAll(() => rmSync(dataRoot, { recursive: true, force: true }));

const COUNTS = '{ regions { code credentialCount } }';
const HOLDER = 'query($code: ID!) { holder(code: $code) { credentials { nodes { id } } } }';

describe('embedded databases on disk', () => {
  it('keep every registry’s data and the national index across a restart, without seeding twice', async () => {
    const first = await startStack({ dataRoot });
    const before = await first.query(HOLDER, { code: moverAt(0).code }, { token: await holderToken(first, moverAt(0).code) });
    await first.stop();

    const second = await startStack({ dataRoot });
    try {
      const counts = await second.query(COUNTS, {}, { token: await analystToken(second) });
      for (const r of counts.body.data.regions) expect(r.credentialCount).toBe(TEST_SEED_COUNT);
      const after = await second.query(HOLDER, { code: moverAt(0).code }, { token: await holderToken(second, moverAt(0).code) });
      expect(after.body.data).toEqual(before.body.data);
      expect(after.body.data.holder.credentials.nodes).toHaveLength(regions.length);
      const { body } = await second.query('query($id: ID!) { credential(id: $id) { holderName } }', {
        id: seedCredential(regions[1]!, 7).id,
      }, { token: await regionIssuerToken(second, regions[1]!.code) });
      expect(body.data.credential.holderName).toBe(seedCredential(regions[1]!, 7).holderName);
    } finally {
      await second.stop();
    }
    // Two full stacks on disk, one after the other: about a minute on a busy 2-core machine.
  }, 240_000);

  it('resumes an interrupted seed where it stopped', async () => {
    const bigger = await startStack({ dataRoot, seedCount: TEST_SEED_COUNT + 30 });
    try {
      const counts = await bigger.query(COUNTS, {}, { token: await analystToken(bigger) });
      for (const r of counts.body.data.regions) expect(r.credentialCount).toBe(TEST_SEED_COUNT + 30);
    } finally {
      await bigger.stop();
    }
  }, 180_000);
});
