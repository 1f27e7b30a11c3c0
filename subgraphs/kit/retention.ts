/**
 * Retention: rows a subgraph no longer needs are deleted by a job, so tables stop growing for
 * ever — spent presentation codes, delivered usage-relay entries, old verifications, catalogue
 * outbox entries superseded by a later one for the same credential. What the law says must be
 * kept (usage records) is kept unless a retention is configured. Deleting is idempotent, so
 * replicas may run the job side by side.
 */
import { z } from 'zod';
import type { Database } from './db.js';
import type { Logger } from './logger.js';

export interface RetentionTask {
  /** What is deleted, for the log line (`presentation codes`). */
  what: string;
  /** Days a row is kept past its date; 0: kept for ever. */
  days: number;
  /** Deletes what is older than `days` days; returns how many rows went. */
  purge(db: Database, days: number): Promise<number>;
}

export const retentionEnv = {
  /** How often the job runs. */
  HUTONG_RETENTION_INTERVAL_MS: z.coerce.number({ message: 'must be a number of milliseconds' }).int().min(1000).max(86_400_000).default(3_600_000),
};

/** Days to keep, from an environment variable: a whole number of days, 0 meaning for ever. */
export const retentionDays = (fallback: number) => z.coerce.number({ message: 'must be a whole number of days' }).int().min(0).max(36_500).default(fallback);

/** `delete … returning` counted: how many rows one statement removed. */
export async function deleteCounted(db: Database, sql: string, params: unknown[]): Promise<number> {
  const [row] = await db.query<{ n: number }>(`with gone as (${sql} returning 1) select count(*)::int as n from gone`, params);
  return row?.n ?? 0;
}

export class RetentionJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(
    private readonly db: Database,
    private readonly tasks: RetentionTask[],
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  /** Runs every task once; returns rows deleted per task (tasks kept for ever are skipped). */
  async runOnce(): Promise<Record<string, number>> {
    const deleted: Record<string, number> = {};
    for (const task of this.tasks) {
      if (task.days === 0) continue;
      try {
        deleted[task.what] = await task.purge(this.db, task.days);
      } catch (error) {
        this.logger.warn({ what: task.what, reason: (error as Error).message }, 'retention failed; will try again');
      }
    }
    if (Object.values(deleted).some((n) => n > 0)) this.logger.info({ deleted }, 'retention: old rows deleted');
    return deleted;
  }

  /** First run a minute after start (not during it), then every interval. */
  start(firstAfterMs = 60_000): void {
    const tick = () => {
      this.running = this.runOnce().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.intervalMs).unref();
      });
    };
    this.timer = setTimeout(tick, firstAfterMs).unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
