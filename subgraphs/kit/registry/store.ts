import { parseJsonColumn, type Queryable } from '../db.js';
import type { CredentialRecord } from '../seed/credentials.js';
import type { StatusCode } from '../reference.js';

const selectColumns = `
  id, type_code as "typeCode", serial, version, number, name,
  issuer_code as "issuerCode", issuer_name as "issuerName",
  issue_date::text as "issueDate", effective_date::text as "effectiveDate", expiry_date::text as "expiryDate",
  area_code as "areaCode", holder_name as "holderName", holder_code as "holderCode",
  holder_type as "holderType", status, face, superseded_by as "supersededBy"`;

/** An outbox entry as `/catalogue-feed` serves it: the contract between a registry and the catalogue. */
export interface FeedEntry {
  seq: number;
  credentialId: string;
  holderCode: string;
  holderType: string;
  typeCode: string;
  status: StatusCode;
}

/**
 * Where a registry's feed stands. `epoch` names the database the sequence numbers belong to: a
 * replaced database has another epoch and numbers its outbox from 1 again.
 */
export interface FeedHead {
  epoch: string;
  headSeq: number;
}

/** A record as stored, with the identifier of its corrected version if it was superseded. */
export type StoredCredential = CredentialRecord & { supersededBy?: string | null };

/** Data access of a regional registry. */
export class CredentialStore {
  constructor(private readonly db: Queryable) {}

  async findByIds(ids: readonly string[]): Promise<StoredCredential[]> {
    const rows = await this.db.query<StoredCredential>(`select ${selectColumns} from credential where id = any($1::text[])`, [ids]);
    // pg returns jsonb parsed; keep the shape identical on both drivers.
    return rows.map((r) => ({ ...r, face: parseJsonColumn(r.face) }));
  }

  /**
   * A credential with its open disputes (id and field, most recently filed first) in one
   * statement: recognition's live read for each verification.
   */
  async findLive(id: string): Promise<{ credential: StoredCredential; openDisputes: { id: string; field: string }[] } | null> {
    const [row] = await this.db.query<StoredCredential & { openDisputes: unknown }>(
      `select ${selectColumns},
         coalesce((select json_agg(json_build_object('id', d.id, 'field', d.field) order by d.filed_at desc, d.id)
                   from dispute d where d.credential_id = credential.id and d.status = 'OPEN'), '[]') as "openDisputes"
       from credential where id = $1`,
      [id],
    );
    if (!row) return null;
    const { openDisputes, ...credential } = row;
    return { credential: { ...credential, face: parseJsonColumn(credential.face) }, openDisputes: parseJsonColumn(openDisputes) };
  }

  /**
   * Inserts credentials and their outbox entries in one statement. Callers run it inside a
   * transaction that first locks the outbox (see `lockOutbox`), so outbox sequence numbers are
   * handed out in commit order and the relay's cursor can never skip a late commit.
   */
  static async insert(tx: Queryable, records: readonly CredentialRecord[]): Promise<void> {
    if (records.length === 0) return;
    const col = <K extends keyof CredentialRecord>(k: K) => records.map((r) => r[k]);
    await tx.query(
      `with inserted as (
         insert into credential (id, type_code, serial, version, number, name, issuer_code, issuer_name,
           issue_date, effective_date, expiry_date, area_code, holder_name, holder_code, holder_type, status, face)
         select t.id, t.type_code, t.serial, t.version, t.number, t.name, t.issuer_code, t.issuer_name,
           t.issue_date::date, t.effective_date::date, t.expiry_date::date, t.area_code, t.holder_name,
           t.holder_code, t.holder_type, t.status, t.face::jsonb
         from unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[],
           $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[])
           as t(id, type_code, serial, version, number, name, issuer_code, issuer_name, issue_date, effective_date,
             expiry_date, area_code, holder_name, holder_code, holder_type, status, face)
         returning id, holder_code, holder_type, type_code, status
       )
       insert into catalogue_outbox (credential_id, holder_code, holder_type, type_code, status)
       select id, holder_code, holder_type, type_code, status from inserted order by id`,
      [
        col('id'), col('typeCode'), col('serial'), col('version'), col('number'), col('name'), col('issuerCode'),
        col('issuerName'), col('issueDate'), col('effectiveDate'), col('expiryDate'), col('areaCode'),
        col('holderName'), col('holderCode'), col('holderType'), col('status'),
        records.map((r) => JSON.stringify(r.face)),
      ],
    );
  }

  /** Outbox entries for changed credentials (status changes, corrections). */
  static async writeOutbox(tx: Queryable, records: readonly CredentialRecord[]): Promise<void> {
    await tx.query(
      `insert into catalogue_outbox (credential_id, holder_code, holder_type, type_code, status)
       select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])`,
      [records.map((r) => r.id), records.map((r) => r.holderCode), records.map((r) => r.holderType),
        records.map((r) => r.typeCode), records.map((r) => r.status)],
    );
  }

  /** Serialises writers of the outbox until commit; readers are not blocked. */
  static async lockOutbox(tx: Queryable): Promise<void> {
    await tx.query('lock table catalogue_outbox in exclusive mode');
  }

  async feed(after: number, limit: number): Promise<FeedEntry[]> {
    return this.db.query<FeedEntry>(
      // bigint in the table; as float8 it arrives as a JS number, exact below 2^53 (an int cast would overflow at 2^31).
      `select seq::float8 as seq, credential_id as "credentialId", holder_code as "holderCode",
              holder_type as "holderType", type_code as "typeCode", status
       from catalogue_outbox where seq > $1 order by seq limit $2`,
      [after, limit],
    );
  }

  /**
   * The feed's epoch and its head (the highest sequence number, 0 for an empty outbox). Read
   * after a page of `feed`, the head is never below that page's last entry: entries are never
   * deleted and sequence numbers only grow.
   */
  async feedHead(): Promise<FeedHead> {
    const rows = await this.db.query<FeedHead>(
      `select epoch, (select coalesce(max(seq), 0)::float8 from catalogue_outbox) as "headSeq" from feed_epoch where id = 1`,
    );
    if (!rows[0]) throw new Error('the registry database has no feed epoch (migration 003_feed_epoch not applied)');
    return rows[0];
  }

  async seededUpto(): Promise<number> {
    const rows = await this.db.query<{ seeded_upto: number }>('select seeded_upto from registry_seed where id = 1');
    return rows[0]?.seeded_upto ?? 0;
  }

  static async setSeededUpto(tx: Queryable, upto: number): Promise<void> {
    await tx.query(
      `insert into registry_seed (id, seeded_upto) values (1, $1)
       on conflict (id) do update set seeded_upto = excluded.seeded_upto`,
      [upto],
    );
  }
}
