/**
 * Pages of lists that grow. A list is read by keyset, never by offset: its rows are in a fixed
 * order of a key (e.g. the time of use, then the id), a page asks for the rows after the key of
 * the previous page's last row, `first + 1` of them, so the database reads one index range and
 * the extra row says whether another page follows.
 *
 * A cursor is opaque to clients: base64url of a JSON array of the list's name, a tag of the list's
 * owner (a hash, so no identifier travels in it) and the key. A cursor that does not decode, or
 * that another list gave out, is refused with BAD_USER_INPUT before any SQL runs.
 */
import { createHash } from 'node:crypto';
import { badInput } from './errors.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** The arguments every paged field takes (`first` defaults to 20 in the SDL; null counts as left out). */
export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

/**
 * One part of a list's key: a point in time (`YYYY-MM-DDTHH:MM:SS.ffffffZ`, microseconds as
 * PostgreSQL keeps them), an identifier or code (printable ASCII), or a whole number.
 */
export type KeyPart = 'timestamp' | 'text' | 'int';
type ValueOf<P extends KeyPart> = P extends 'int' ? number : string;
export type Key<P extends readonly KeyPart[]> = { -readonly [I in keyof P]: ValueOf<P[I]> };

/** What one page asks of the database: how many rows to read (one more than the page holds) and after which key. */
export interface PageRequest<P extends readonly KeyPart[]> {
  /** Rows on the page: `first`. */
  size: number;
  /** Rows to read: `first + 1`, the extra one says whether another page follows. */
  limit: number;
  /** The key of the previous page's last row; null for the first page. */
  after: Key<P> | null;
}

export interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}

/** A page as the SDL's connection types give it; `totalCount` may be left to be counted only when asked for. */
export interface Connection<T> {
  nodes: T[];
  pageInfo: PageInfo;
  totalCount: number | (() => Promise<number>);
}

const CURSOR_LIMIT = 512;
const TEXT = /^[\x21-\x7e]{1,200}$/;
const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\.\d{6}Z$/;

const malformed = () =>
  badInput('after is not a cursor Hutong gave out: pass the endCursor of the previous page, or leave after out for the first page.', {
    argument: 'after',
    reason: 'INVALID_CURSOR',
  });
const foreign = () =>
  badInput('after is a cursor of another list: pass the endCursor of the previous page of this same list.', {
    argument: 'after',
    reason: 'INVALID_CURSOR',
  });

/** The page size asked for, or a BAD_USER_INPUT refusal outside 1..100. */
export function pageSize(first: number | null | undefined): number {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw badInput(`first must be between 1 and ${MAX_PAGE_SIZE} (the maximum page size); it was ${size}.`, {
      argument: 'first',
      reason: 'PAGE_SIZE_OUT_OF_RANGE',
    });
  }
  return size;
}

function validPart(part: KeyPart, value: unknown): boolean {
  switch (part) {
    case 'int':
      return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 2_147_483_647;
    case 'text':
      return typeof value === 'string' && TEXT.test(value);
    case 'timestamp': {
      const m = typeof value === 'string' ? TIMESTAMP.exec(value) : null;
      // The date must exist: 2026-02-31 would roll over to March and is refused.
      return m !== null && !Number.isNaN(Date.parse(value as string)) && new Date(value as string).toISOString().slice(0, 19) === m[1];
    }
  }
}

/**
 * The keyset of one kind of list: `name` tells its cursors from other lists', `parts` says what
 * its key is made of, in sort order.
 */
export class Keyset<P extends readonly KeyPart[]> {
  constructor(
    readonly name: string,
    readonly parts: P,
  ) {}

  /** The owner's tag in a cursor: the list's owner (a credential, a holder, a rule) without naming it. */
  private tag(owner: string): string {
    return createHash('sha256').update(`${this.name}\0${owner}`).digest('base64url').slice(0, 12);
  }

  encode(owner: string, key: Key<P>): string {
    return Buffer.from(JSON.stringify([this.name, this.tag(owner), ...key]), 'utf8').toString('base64url');
  }

  /** The key a cursor of this list (of `owner`) carries; BAD_USER_INPUT for anything else. */
  decode(owner: string, cursor: string): Key<P> {
    if (cursor.length === 0 || cursor.length > CURSOR_LIMIT || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw malformed();
    let value: unknown;
    try {
      value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    } catch {
      throw malformed();
    }
    if (!Array.isArray(value) || typeof value[0] !== 'string' || typeof value[1] !== 'string') throw malformed();
    const [name, tag, ...key] = value as [string, string, ...unknown[]];
    if (name !== this.name || tag !== this.tag(owner)) throw foreign();
    if (key.length !== this.parts.length || !this.parts.every((part, i) => validPart(part, key[i]))) throw malformed();
    return key as Key<P>;
  }

  /** What to read for `args` of `owner`'s list; refuses a bad `first` or `after` before anything is read. */
  request(owner: string, args: PageArgs): PageRequest<P> {
    const size = pageSize(args.first);
    const after = args.after === undefined || args.after === null ? null : this.decode(owner, args.after);
    return { size, limit: size + 1, after };
  }

  /**
   * The page out of the rows read for `page` (up to `page.limit`, in key order): its first `size`
   * rows, the cursor of the last one, and whether the extra row was there.
   */
  connection<R, T = R>(
    owner: string,
    page: PageRequest<P>,
    rows: readonly R[],
    keyOf: (row: R) => Key<P>,
    totalCount: Connection<T>['totalCount'],
    node: (row: R) => T = (row) => row as unknown as T,
  ): Connection<T> {
    const shown = rows.slice(0, page.size);
    const last = shown.at(-1);
    return {
      nodes: shown.map(node),
      pageInfo: { hasNextPage: rows.length > page.size, endCursor: last === undefined ? null : this.encode(owner, keyOf(last)) },
      totalCount,
    };
  }
}

/** A loader key for a page of one owner's list: equal pages of one request are read once. */
export const pageCacheKey = (owner: string, page: PageRequest<readonly KeyPart[]>) => JSON.stringify([owner, page.limit, page.after]);
