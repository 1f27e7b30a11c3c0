/**
 * One leader per cluster for work that must run once (the catalogue's relay, recognition's usage
 * relay), however many replicas of a subgraph share its PostgreSQL database: the leader holds a
 * session advisory lock on a connection of its own. When the leader dies, its connection closes,
 * PostgreSQL releases the lock, and another replica takes it at its next attempt. With PGlite a
 * data folder has one process, which always leads.
 */
import type { Database, DedicatedConnection } from './db.js';
import type { Logger } from './logger.js';

export class Leadership {
  private connection: DedicatedConnection | undefined;
  private leading: boolean;
  private timer: NodeJS.Timeout | undefined;
  private attempt: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly db: Database,
    /** What the lock is for, e.g. `catalogue-relay`: the lock's key is derived from it. */
    private readonly task: string,
    private readonly logger: Logger,
    private readonly checkEveryMs = 2000,
  ) {
    this.leading = db.dedicated === undefined;
  }

  /** Whether this process runs the task now. */
  isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    if (this.db.dedicated === undefined || this.timer) return;
    const tick = () => {
      this.attempt = this.check().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.checkEveryMs).unref();
      });
    };
    tick();
  }

  /** Runs one attempt now (tests; start-up): takes the lock if free, or checks the one held. */
  async check(): Promise<void> {
    if (this.stopped || this.db.dedicated === undefined) return;
    try {
      if (this.connection) {
        await this.connection.query('select 1');
        return;
      }
      const connection = await this.db.dedicated();
      const [row] = await connection.query<{ locked: boolean }>('select pg_try_advisory_lock(hashtextextended($1, 0)) as locked', [`hutong:${this.task}`]);
      if (!row?.locked) {
        connection.release();
        return;
      }
      this.connection = connection;
      this.leading = true;
      this.logger.info({ task: this.task }, 'leading: this replica runs the task');
    } catch (error) {
      if (this.leading) this.logger.warn({ task: this.task, reason: (error as Error).message }, 'lost the lead: another replica may take it');
      this.connection?.release(true);
      this.connection = undefined;
      this.leading = false;
    }
  }

  /** Gives the lead up (the lock goes with the connection) and stops trying. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.attempt;
    if (this.connection) {
      await this.connection.query('select pg_advisory_unlock_all()').catch(() => {});
      this.connection.release();
      this.connection = undefined;
    }
    if (this.db.dedicated !== undefined) this.leading = false;
  }
}
