import type { Express } from 'express';
import { catalogueSubgraph } from '../reference.js';
import { onlyFrom } from '../subgraph-server.js';
import { FEED_QUERY_RULE, feedQuerySchema, registryPaths, type FeedPage } from './contract.js';
import type { CredentialStore } from './store.js';

export const CATALOGUE_FEED_PATH = registryPaths.feed;

/** What `/catalogue-feed` answers: the contract between a registry and the catalogue's relay (see contract.ts). */
export type { FeedPage };

/**
 * `GET /catalogue-feed?after=<seq>&limit=<n>`: the registry's outbox, in order, for the national
 * catalogue's relay. Reading never deletes: the relay keeps its own cursor, so a lost response or
 * a catalogue restart only means the same entries are read again (the index upsert is idempotent).
 * Every answer names the feed's epoch and head, so the relay notices a replaced database (another
 * epoch, or a head below its cursor) instead of skipping its entries.
 */
export function catalogueFeedRoute(app: Express, store: CredentialStore): void {
  app.get(CATALOGUE_FEED_PATH, onlyFrom(catalogueSubgraph.name), async (req, res) => {
    const query = feedQuerySchema.safeParse(req.query);
    if (!query.success) {
      res.status(400).json({ error: FEED_QUERY_RULE });
      return;
    }
    const { after, limit } = query.data;
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
