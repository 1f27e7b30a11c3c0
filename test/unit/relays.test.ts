/**
 * A registry’s catalogue feed: what the national index reads, in order, from a cursor. Real
 * PGlite databases behind a real HTTP route.
 */
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../subgraphs/kit/db.js';
import { listen, type Listening } from '../../subgraphs/kit/http.js';
import { createLogger } from '../../subgraphs/kit/logger.js';
import { regionByCode } from '../../subgraphs/kit/reference.js';
import { catalogueFeedRoute } from '../../subgraphs/kit/registry/feed.js';
import { CredentialStore } from '../../subgraphs/kit/registry/store.js';
import { seedCredential } from '../../subgraphs/kit/seed/credentials.js';
import { subgraphDatabase } from '../support/databases.js';

const shandong = regionByCode('shandong')!;

describe('a registry’s catalogue feed', () => {
  let db: Database;
  let server: Listening;
  let issuer = 'hutong-service';
  const ids = [0, 1, 2, 3, 4].map((k) => seedCredential(shandong, k).id);

  beforeAll(async () => {
    db = await subgraphDatabase('shandong');
    await db.transaction(async (tx) => {
      await CredentialStore.lockOutbox(tx);
      await CredentialStore.insert(tx, [0, 1, 2, 3, 4].map((k) => seedCredential(shandong, k)));
    });
    const app = express();
    // Stands in for the envelope check: which service signed the call.
    app.use((_req, res, next) => {
      res.locals.envelopeIssuer = issuer;
      next();
    });
    catalogueFeedRoute(app, new CredentialStore(db));
    server = await listen(app, 0);
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  const feed = async (query: string) => {
    const res = await fetch(`${server.url}/catalogue-feed${query}`);
    return { status: res.status, body: (await res.json()) as { entries?: { seq: number; credentialId: string }[]; lastSeq?: number; error?: string } };
  };

  it('serves the outbox in order from the start, with the last sequence number read', async () => {
    const { status, body } = await feed('');
    expect(status).toBe(200);
    expect(body.entries!.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(body.entries!.map((e) => e.credentialId).sort()).toEqual([...ids].sort());
    expect(body.lastSeq).toBe(5);
  });

  it('serves only entries after the cursor, at most `limit` of them', async () => {
    expect((await feed('?after=2&limit=2')).body).toMatchObject({ lastSeq: 4 });
    expect((await feed('?after=2&limit=2')).body.entries!.map((e) => e.seq)).toEqual([3, 4]);
    expect((await feed('?after=4&limit=5000')).body.entries!.map((e) => e.seq)).toEqual([5]);
    expect((await feed('?after=0&limit=1')).body.entries!.map((e) => e.seq)).toEqual([1]);
  });

  it('answers a caught-up cursor with no entries and the cursor itself as the last sequence number', async () => {
    expect((await feed('?after=5')).body).toEqual({ entries: [], lastSeq: 5 });
    expect((await feed('?after=900')).body).toEqual({ entries: [], lastSeq: 900 });
  });

  it.each([['?limit=0'], ['?limit=5001'], ['?after=-1'], ['?after=1.5'], ['?after=abc'], ['?limit=1e3'], ['?after=1234567890123456']])(
    'refuses %s with 400 and says what it accepts',
    async (query) => {
      const { status, body } = await feed(query);
      expect(status).toBe(400);
      expect(body).toEqual({ error: 'after must be an integer ≥ 0 and limit an integer from 1 to 5000' });
    },
  );

  it('is for Hutong services only: a call signed by the gateway gets 403', async () => {
    issuer = 'hutong-gateway';
    try {
      expect((await feed('')).status).toBe(403);
    } finally {
      issuer = 'hutong-service';
    }
  });
});

