import { z } from 'zod';
import { parseEnv } from '../config.js';
import { deleteCounted, retentionDays, type RetentionTask } from '../retention.js';
import type { Env } from '../run.js';

const schema = z.object({
  /** Usage records are the holder's record of who used what: kept as long as the law requires (0: for ever). */
  HUTONG_RETENTION_USAGE_RECORDS_DAYS: retentionDays(0),
  /** Outbox entries superseded by a later entry for the same credential. */
  HUTONG_RETENTION_OUTBOX_DAYS: retentionDays(30),
});

/** What a registry deletes, and after how long. */
export function registryRetention(env: Env, region: string): RetentionTask[] {
  const c = parseEnv(schema, env, `subgraph ${region}`);
  return [
    {
      what: 'usage records',
      days: c.HUTONG_RETENTION_USAGE_RECORDS_DAYS,
      purge: (db, days) => deleteCounted(db, 'delete from usage_record where verified_at < now() - make_interval(days => $1)', [days]),
    },
    {
      what: 'superseded outbox entries',
      days: c.HUTONG_RETENTION_OUTBOX_DAYS,
      // Compaction, not truncation: every credential keeps its latest entry, so a catalogue that
      // reads the feed again from the start (a resync) still finds every credential's state, and
      // the head entry is never deleted.
      purge: (db, days) =>
        deleteCounted(
          db,
          `delete from catalogue_outbox o where o.occurred_at < now() - make_interval(days => $1)
             and exists (select 1 from catalogue_outbox later where later.credential_id = o.credential_id and later.seq > o.seq)`,
          [days],
        ),
    },
  ];
}
