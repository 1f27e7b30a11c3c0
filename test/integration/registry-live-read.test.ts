/**
 * Recognition's live read of a credential from its registry (`GET /internal/credentials/:id`):
 * the record and its open disputes in one statement, on both drivers a registry runs on.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from '../../subgraphs/kit/auth/caller.js';
import { openDatabase, type Database } from '../../subgraphs/kit/db.js';
import { regionByCode } from '../../subgraphs/kit/reference.js';
import { RegistryCommands } from '../../subgraphs/kit/registry/commands.js';
import { RecordStore } from '../../subgraphs/kit/registry/records.js';
import { CredentialStore, type StoredCredential } from '../../subgraphs/kit/registry/store.js';
import { prepareDatabase } from '../../subgraphs/kit/run.js';
import { subgraphs } from '../../subgraphs/index.js';
import { shandongEidInput } from '../support/records.js';
import { createPostgresDatabase } from '../support/stack.js';

const SHANDONG = regionByCode('shandong')!;
const issuer: Caller = { role: 'issuer', subject: 'officer-7', region: 'shandong', organisation: '11370000HT71218912', organisationName: '山东省公安厅' };

describe.each(['pglite', 'postgres'] as const)("recognition's live read of a credential on %s", (driver) => {
  let db: Database;
  let drop = async () => {};
  beforeAll(async () => {
    if (driver === 'pglite') {
      db = await openDatabase({ dataDir: 'memory://' });
    } else {
      const created = await createPostgresDatabase(`hutong_live_read_${randomUUID().slice(0, 8)}`);
      drop = created.drop;
      db = await openDatabase({ url: created.url, poolSize: 2 });
    }
    await prepareDatabase(subgraphs.find((m) => m.name === 'shandong')!, db);
  });
  afterAll(async () => {
    await db?.close();
    await drop();
  });

  const issued = async (): Promise<StoredCredential> => {
    const record = await new RegistryCommands(db, SHANDONG).issue(issuer, shandongEidInput());
    return (await new CredentialStore(db).findByIds([record.id]))[0]!;
  };

  it('gives the record with its open disputes, most recently filed first, in one statement; resolved ones are left out', async () => {
    const c = await issued();
    const records = new RecordStore(db);
    for (const [id, field] of [['old', 'holderName'], ['resolved', 'expiryDate'], ['new', 'face.address']]) {
      await records.fileDispute({ id: `${id}-${c.id}`, credentialId: c.id, field: field!, claim: '有误', filedByRole: 'holder', filedBy: 'holder-1' });
    }
    await db.query(`update dispute set filed_at = $2::timestamptz where id = $1`, [`old-${c.id}`, '2026-11-01T08:00:00Z']);
    await db.query(`update dispute set filed_at = $2::timestamptz where id = $1`, [`new-${c.id}`, '2026-11-02T08:00:00Z']);
    await RecordStore.resolveDispute(db, `resolved-${c.id}`, 'REJECTED', '核实无误', null);

    const before = db.statementCount!();
    const live = await new CredentialStore(db).findLive(c.id);
    expect(db.statementCount!() - before).toBe(1);
    expect(live).toEqual({
      credential: c,
      openDisputes: [
        { id: `new-${c.id}`, field: 'face.address' },
        { id: `old-${c.id}`, field: 'holderName' },
      ],
    });
  });

  it('gives no disputes as an empty list, and null for an identifier the registry does not hold', async () => {
    const c = await issued();
    const store = new CredentialStore(db);
    expect(await store.findLive(c.id)).toEqual({ credential: c, openDisputes: [] });
    expect(await store.findLive(`${c.id.slice(0, -1)}X`)).toBeNull();
  });
});
