import type { Database, Queryable } from '../../kit/db.js';
import { Keyset, type PageRequest } from '../../kit/pages.js';
import type { FeedEntry } from '../../kit/registry/store.js';

export interface IndexEntry {
  credentialId: string;
  holderCode: string;
  typeCode: string;
  regionCode: string;
  status: string;
}

/** A holder's credentials are paged in the index's order: by region, type and identifier. */
export const holderCredentialPages = new Keyset('holder-credentials', ['text', 'text', 'text'] as const);
export type HolderCredentialPage = PageRequest<typeof holderCredentialPages.parts>;

/** The key of an entry in that order, which its cursor carries. */
export const holderCredentialKey = (e: IndexEntry): [string, string, string] => [e.regionCode, e.typeCode, e.credentialId];

/** How far the relay has read one registry's feed, and in which of its databases. */
export interface RelayCursor {
  /** Sequence number read up to; 0 before anything was read. */
  lastSeq: number;
  /** Epoch of the registry feed `lastSeq` counts in; null before the first read (or for a cursor older than epochs). */
  epoch: string | null;
  /** Generation of the region's index rows. */
  generation: number;
  /** The resynchronisation in progress, if any. */
  resync: ResyncProgress | null;
}

/** A pass over a replaced registry database's whole feed, rebuilding its region's index rows. */
export interface ResyncProgress {
  /** Epoch of the feed being read. */
  epoch: string;
  /** Generation the rows read in this pass are written under. */
  generation: number;
  /** Sequence number read up to in that feed. */
  seq: number;
  /** Entries read in this pass so far. */
  entries: number;
  startedAt: string;
}

/** What finishing a resync did. */
export interface ResyncOutcome {
  epoch: string;
  lastSeq: number;
  entries: number;
  /** Rows of the old database's credentials that the new one does not hold. */
  removed: number;
}

/** The region's relay state changed under a caller (another relay, or a stale read): nothing was written. */
export class RelayCursorConflict extends Error {
  override name = 'RelayCursorConflict';
}

// Sequence numbers are bigint; as float8 they arrive as JS numbers, exact below 2^53.
const cursorColumns = `last_seq::float8 as "lastSeq", epoch, generation::int as generation,
  resync_epoch as "resyncEpoch", resync_generation::int as "resyncGeneration", resync_seq::float8 as "resyncSeq",
  resync_entries::int as "resyncEntries", (extract(epoch from resync_started_at) * 1000)::float8 as "resyncStartedAt"`;

interface CursorRow {
  lastSeq: number;
  epoch: string | null;
  generation: number;
  resyncEpoch: string | null;
  resyncGeneration: number | null;
  resyncSeq: number | null;
  resyncEntries: number | null;
  resyncStartedAt: number | null;
}

const toCursor = (row: CursorRow | undefined): RelayCursor =>
  row
    ? {
        lastSeq: row.lastSeq,
        epoch: row.epoch,
        generation: row.generation,
        resync:
          row.resyncEpoch === null
            ? null
            : {
                epoch: row.resyncEpoch,
                generation: row.resyncGeneration!,
                seq: row.resyncSeq!,
                entries: row.resyncEntries!,
                startedAt: new Date(Number(row.resyncStartedAt)).toISOString(),
              },
      }
    : { lastSeq: 0, epoch: null, generation: 0, resync: null };

/** Data access of the national index. */
export class IndexStore {
  constructor(private readonly db: Database) {}

  async byHolders(holderCodes: readonly string[]): Promise<IndexEntry[]> {
    return this.db.query<IndexEntry>(
      `select credential_id as "credentialId", holder_code as "holderCode", type_code as "typeCode",
              region_code as "regionCode", status
       from holder_index where holder_code = any($1::text[])
       order by region_code, type_code, credential_id`,
      [holderCodes],
    );
  }

  /**
   * One page of each holder's credentials asked for, in one statement: each page is one range of
   * the index on (holder, region, type, identifier) after its cursor's key.
   */
  async pagesByHolders(requests: readonly { holderCode: string; page: HolderCredentialPage }[]): Promise<IndexEntry[][]> {
    if (requests.length === 0) return [];
    const rows = await this.db.query<IndexEntry & { at: number | string }>(
      `select k.at - 1 as at, e.*
       from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[]) with ordinality as k(holder_code, after_region, after_type, after_id, lim, at)
       cross join lateral (
         select credential_id as "credentialId", holder_code as "holderCode", type_code as "typeCode", region_code as "regionCode", status
         from holder_index
         where holder_code = k.holder_code
           and (region_code, type_code, credential_id) > (coalesce(k.after_region, ''), coalesce(k.after_type, ''), coalesce(k.after_id, ''))
         order by region_code, type_code, credential_id
         limit k.lim
       ) e
       order by k.at, e."regionCode", e."typeCode", e."credentialId"`,
      [
        requests.map((r) => r.holderCode),
        requests.map((r) => r.page.after?.[0] ?? null),
        requests.map((r) => r.page.after?.[1] ?? null),
        requests.map((r) => r.page.after?.[2] ?? null),
        requests.map((r) => r.page.limit),
      ],
    );
    const pages: IndexEntry[][] = requests.map(() => []);
    for (const { at, ...entry } of rows) pages[Number(at)]!.push(entry);
    return pages;
  }

  /** How many credentials the index holds for each holder. */
  async countByHolders(holderCodes: readonly string[]): Promise<number[]> {
    const rows = await this.db.query<{ holderCode: string; n: number }>(
      `select holder_code as "holderCode", count(*)::int as n from holder_index where holder_code = any($1::text[]) group by holder_code`,
      [holderCodes],
    );
    const counts = new Map(rows.map((r) => [r.holderCode, r.n]));
    return holderCodes.map((c) => counts.get(c) ?? 0);
  }

  async cursor(regionCode: string): Promise<number> {
    return (await this.relayCursor(regionCode)).lastSeq;
  }

  async relayCursor(regionCode: string): Promise<RelayCursor> {
    const rows = await this.db.query<CursorRow>(`select ${cursorColumns} from relay_cursor where region_code = $1`, [regionCode]);
    return toCursor(rows[0]);
  }

  /**
   * Applies a batch of a registry's outbox and advances its cursor in one transaction. Re-applying
   * the same entries changes nothing, and an older entry never overwrites a newer one.
   *
   * With `epoch`, the batch was read from that epoch's feed: it is stored with the cursor, and the
   * batch is refused (RelayCursorConflict) if the cursor belongs to another epoch or the region is
   * being resynchronised, since its sequence numbers would then mean something else.
   */
  async apply(regionCode: string, entries: readonly FeedEntry[], lastSeq: number, epoch?: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const cursor = await lockCursor(tx, regionCode);
      if (epoch !== undefined && ((cursor.epoch !== null && cursor.epoch !== epoch) || cursor.resync)) {
        throw new RelayCursorConflict(`the ${regionCode} cursor is no longer in feed epoch ${epoch}`);
      }
      await upsert(tx, regionCode, entries, cursor.generation);
      await tx.query(
        `update relay_cursor set last_seq = greatest(last_seq, $2), epoch = coalesce($3, epoch), updated_at = now()
         where region_code = $1`,
        [regionCode, lastSeq, epoch ?? null],
      );
    });
  }

  /**
   * Starts (or restarts) a resync of a region from the beginning of feed `epoch`, under a new
   * generation. The region's rows stay as they are, so they keep routing until `finishResync`.
   */
  async beginResync(regionCode: string, epoch: string): Promise<ResyncProgress> {
    return this.db.transaction(async (tx) => {
      await lockCursor(tx, regionCode);
      const rows = await tx.query<CursorRow>(
        `update relay_cursor set resync_epoch = $2, resync_generation = nextval('index_generation'), resync_seq = 0,
           resync_entries = 0, resync_started_at = now(), updated_at = now()
         where region_code = $1 returning ${cursorColumns}`,
        [regionCode, epoch],
      );
      return toCursor(rows[0]).resync!;
    });
  }

  /**
   * Applies a batch of the resync under way under its generation. An entry of the new database
   * replaces the row of an older generation whatever its sequence number (they restart at 1).
   */
  async applyResync(regionCode: string, generation: number, entries: readonly FeedEntry[], lastSeq: number): Promise<ResyncProgress> {
    return this.db.transaction(async (tx) => {
      const cursor = await lockCursor(tx, regionCode);
      if (cursor.resync?.generation !== generation) {
        throw new RelayCursorConflict(`no resync of ${regionCode} under generation ${generation} is under way`);
      }
      await upsert(tx, regionCode, entries, generation);
      const rows = await tx.query<CursorRow>(
        `update relay_cursor set resync_seq = greatest(resync_seq, $2), resync_entries = resync_entries + $3, updated_at = now()
         where region_code = $1 returning ${cursorColumns}`,
        [regionCode, lastSeq, entries.length],
      );
      return toCursor(rows[0]).resync!;
    });
  }

  /**
   * Ends a resync once its pass has read the whole new feed: in one transaction, removes the
   * region's rows of every other generation (credentials the new database does not hold) and
   * makes the pass's epoch, position and generation the region's cursor.
   */
  async finishResync(regionCode: string, generation: number): Promise<ResyncOutcome> {
    return this.db.transaction(async (tx) => {
      const cursor = await lockCursor(tx, regionCode);
      const resync = cursor.resync;
      if (resync?.generation !== generation) {
        throw new RelayCursorConflict(`no resync of ${regionCode} under generation ${generation} is under way`);
      }
      const removed = await tx.query<{ n: number }>(
        `with gone as (delete from holder_index where region_code = $1 and generation <> $2 returning 1)
         select count(*)::int as n from gone`,
        [regionCode, generation],
      );
      await tx.query(
        `update relay_cursor set last_seq = resync_seq, epoch = resync_epoch, generation = resync_generation,
           resync_epoch = null, resync_generation = null, resync_seq = null, resync_entries = null,
           resync_started_at = null, updated_at = now()
         where region_code = $1`,
        [regionCode],
      );
      return { epoch: resync.epoch, lastSeq: resync.seq, entries: resync.entries, removed: removed[0]!.n };
    });
  }
}

/** The region's cursor row, created if missing, locked until the transaction ends (relays of several catalogue processes take turns). */
async function lockCursor(tx: Queryable, regionCode: string): Promise<RelayCursor> {
  await tx.query('insert into relay_cursor (region_code, last_seq) values ($1, 0) on conflict (region_code) do nothing', [regionCode]);
  const rows = await tx.query<CursorRow>(`select ${cursorColumns} from relay_cursor where region_code = $1 for update`, [regionCode]);
  return toCursor(rows[0]);
}

/**
 * Writes a batch's entries under `generation`: one row per credential, the entry with the highest
 * seq whatever the batch order. A stored row gives way to a newer generation, or within its own
 * generation to a higher seq.
 */
async function upsert(tx: Queryable, regionCode: string, entries: readonly FeedEntry[], generation: number): Promise<void> {
  const latest = new Map<string, FeedEntry>();
  for (const e of entries) {
    const seen = latest.get(e.credentialId);
    if (!seen || seen.seq < e.seq) latest.set(e.credentialId, e);
  }
  const rows = [...latest.values()];
  if (rows.length === 0) return;
  await tx.query(
    `insert into holder_index (credential_id, holder_code, holder_type, type_code, region_code, status, source_seq, generation)
     select t.id, t.holder_code, t.holder_type, t.type_code, $6, t.status, t.seq, $8
     from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $7::bigint[])
       as t(id, holder_code, holder_type, type_code, status, seq)
     on conflict (credential_id) do update set
       holder_code = excluded.holder_code, holder_type = excluded.holder_type,
       type_code = excluded.type_code, status = excluded.status,
       source_seq = excluded.source_seq, generation = excluded.generation, updated_at = now()
     where holder_index.generation < excluded.generation
        or (holder_index.generation = excluded.generation and holder_index.source_seq < excluded.source_seq)`,
    [
      rows.map((r) => r.credentialId),
      rows.map((r) => r.holderCode),
      rows.map((r) => r.holderType),
      rows.map((r) => r.typeCode),
      rows.map((r) => r.status),
      regionCode,
      rows.map((r) => r.seq),
      generation,
    ],
  );
}
