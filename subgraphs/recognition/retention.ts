import { z } from 'zod';
import { parseEnv } from '../kit/config.js';
import { deleteCounted, retentionDays, type RetentionTask } from '../kit/retention.js';
import type { Env } from '../kit/run.js';

const schema = z.object({
  /** Past its expiry a code is refused as expired by its signature alone: its row is not needed. */
  HUTONG_RETENTION_PRESENTATION_CODES_DAYS: retentionDays(7),
  /** A delivered usage record lives on in its registry; the relay's copy is not needed. */
  HUTONG_RETENTION_DELIVERED_USAGE_DAYS: retentionDays(7),
  /** Verifications (verdict, trace, released fields) for the verifier and for audits. */
  HUTONG_RETENTION_VERIFICATIONS_DAYS: retentionDays(365),
});

/** What recognition deletes, and after how long. */
export function recognitionRetention(env: Env): RetentionTask[] {
  const c = parseEnv(schema, env, 'subgraph recognition');
  return [
    {
      what: 'presentation codes',
      days: c.HUTONG_RETENTION_PRESENTATION_CODES_DAYS,
      purge: (db, days) => deleteCounted(db, 'delete from presentation_code where expires_at < now() - make_interval(days => $1)', [days]),
    },
    {
      what: 'delivered usage-relay entries',
      days: c.HUTONG_RETENTION_DELIVERED_USAGE_DAYS,
      // Never one still waiting for its registry, however old.
      purge: (db, days) => deleteCounted(db, 'delete from usage_outbox where delivered_at is not null and delivered_at < now() - make_interval(days => $1)', [days]),
    },
    {
      what: 'verifications',
      days: c.HUTONG_RETENTION_VERIFICATIONS_DAYS,
      // A verification whose usage record still waits for its registry stays until it is delivered.
      purge: (db, days) =>
        deleteCounted(
          db,
          `delete from verification v where checked_at < now() - make_interval(days => $1)
             and not exists (select 1 from usage_outbox o where o.verification_id = v.id and o.delivered_at is null)`,
          [days],
        ),
    },
  ];
}
