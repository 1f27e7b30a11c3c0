import type { Express } from 'express';
import { serviceOnly } from '../subgraph-server.js';
import type { CredentialStore } from './store.js';

export const CATALOGUE_FEED_PATH = '/catalogue-feed';
const MAX_LIMIT = 5000;

/**
 * `GET /catalogue-feed?after=<seq>&limit=<n>`: the registry's outbox, in order, for the national
 * catalogue's relay. Reading never deletes: the relay keeps its own cursor, so a lost response or
 * a catalogue restart only means the same entries are read again (the index upsert is idempotent).
 */
export function catalogueFeedRoute(app: Express, store: CredentialStore): void {
  app.get(CATALOGUE_FEED_PATH, serviceOnly, async (req, res) => {
    const after = parseNonNegativeInt(req.query.after, 0);
    const limit = parseNonNegativeInt(req.query.limit, 1000);
    if (after === null || limit === null || limit < 1 || limit > MAX_LIMIT) {
      res.status(400).json({ error: `after must be an integer ≥ 0 and limit an integer from 1 to ${MAX_LIMIT}` });
      return;
    }
    try {
      const entries = await store.feed(after, limit);
      res.json({ entries, lastSeq: entries.at(-1)?.seq ?? after });
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
