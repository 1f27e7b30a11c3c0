import type { Database, Queryable } from '../../kit/db.js';
import type { FeedEntry } from '../../kit/registry/store.js';

export interface IndexEntry {
  credentialId: string;
  holderCode: string;
  typeCode: string;
  regionCode: string;
  status: string;
}


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

  async cursor(regionCode: string): Promise<number> {
    const rows = await this.db.query<{ last_seq: number }>(
      'select last_seq::int as last_seq from relay_cursor where region_code = $1',
      [regionCode],
    );
    return rows[0]?.last_seq ?? 0;
  }

  /**
   * Applies a batch of a registry's outbox and advances its cursor in one transaction. Re-applying
   * the same entries changes nothing, and an older entry never overwrites a newer one.
   */
  async apply(regionCode: string, entries: readonly FeedEntry[], lastSeq: number): Promise<void> {
    const latest = new Map<string, FeedEntry>();
    // One row per credential per statement: the entry with the highest seq, whatever the batch order.
    for (const e of entries) {
      const seen = latest.get(e.credentialId);
      if (!seen || seen.seq < e.seq) latest.set(e.credentialId, e);
    }
    const rows = [...latest.values()];
    await this.db.transaction(async (tx: Queryable) => {
      if (rows.length > 0) {
        await tx.query(
          `insert into holder_index (credential_id, holder_code, holder_type, type_code, region_code, status, source_seq)
           select t.id, t.holder_code, t.holder_type, t.type_code, $6, t.status, t.seq
           from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $7::bigint[])
             as t(id, holder_code, holder_type, type_code, status, seq)
           on conflict (credential_id) do update set
             holder_code = excluded.holder_code, holder_type = excluded.holder_type,
             type_code = excluded.type_code, status = excluded.status,
             source_seq = excluded.source_seq, updated_at = now()
           where holder_index.source_seq < excluded.source_seq`,
          [
            rows.map((r) => r.credentialId),
            rows.map((r) => r.holderCode),
            rows.map((r) => r.holderType),
            rows.map((r) => r.typeCode),
            rows.map((r) => r.status),
            regionCode,
            rows.map((r) => r.seq),
          ],
        );
      }
      await tx.query(
        `insert into relay_cursor (region_code, last_seq) values ($1, $2)
         on conflict (region_code) do update set last_seq = greatest(relay_cursor.last_seq, excluded.last_seq), updated_at = now()`,
        [regionCode, lastSeq],
      );
    });
  }
}
