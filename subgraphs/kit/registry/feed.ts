import type { Express } from 'express';
import { catalogueSubgraph } from '../reference.js';
import { onlyFrom } from '../subgraph-server.js';
import type { CredentialStore, FeedEntry } from './store.js';

export const CATALOGUE_FEED_PATH = '/catalogue-feed';
const MAX_LIMIT = 5000;

/** What `/catalogue-feed` answers: the contract between a registry and the catalogue's relay. */
export interface FeedPage {
  entries: FeedEntry[];
  /** Sequence number of the last entry served, or `after` when none was. */
  lastSeq: number;
  /** The database the sequence numbers belong to (see migration 003_feed_epoch). */
  epoch: string;
  /** The highest sequence number in the outbox: the relay's lag is `headSeq` minus its cursor. */
  headSeq: number;
}

/**
 * `GET /catalogue-feed?after=<seq>&limit=<n>`: the registry's outbox, in order, for the national
 * catalogue's relay. Reading never deletes: the relay keeps its own cursor, so a lost response or
 * a catalogue restart only means the same entries are read again (the index upsert is idempotent).
 * Every answer names the feed's epoch and head, so the relay notices a replaced database (another
 * epoch, or a head below its cursor) instead of skipping its entries.
 */
export function catalogueFeedRoute(app: Express, store: CredentialStore): void {
  app.get(CATALOGUE_FEED_PATH, onlyFrom(catalogueSubgraph.name), async (req, res) => {
    const after = parseNonNegativeInt(req.query.after, 0);
    const limit = parseNonNegativeInt(req.query.limit, 1000);
    if (after === null || limit === null || limit < 1 || limit > MAX_LIMIT) {
      res.status(400).json({ error: `after must be an integer ≥ 0 and limit an integer from 1 to ${MAX_LIMIT}` });
      return;
    }
    try {
      const entries = await store.feed(after, limit);
      // Read after the entries, so the head is never below the last entry served.
      const { epoch, headSeq } = await store.feedHead();
      const page: FeedPage = { entries, lastSeq: entries.at(-1)?.seq ?? after, epoch, headSeq };
      res.json(page);
    } catch {
      res.status(503).json({ error: 'registry database unavailable' });
    }
  });
}

function parseNonNegativeInt(value: unknown, fallback: number): number | null {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value)) return null;
  return Number(value);
}
