/**
 * A registry’s catalogue feed: what the national index reads, in order, from a cursor. Real
 * PGlite databases behind a real HTTP route.
 */
import express from 'express';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subgraphs } from '../../subgraphs/index.js';
import { openDatabase, type Database } from '../../subgraphs/kit/db.js';
import { listen, type Listening } from '../../subgraphs/kit/http.js';
import { regionByCode } from '../../subgraphs/kit/reference.js';
import { catalogueFeedRoute } from '../../subgraphs/kit/registry/feed.js';
import { CredentialStore } from '../../subgraphs/kit/registry/store.js';
import { prepareDatabase } from '../../subgraphs/kit/run.js';
import { seedCredential } from '../../subgraphs/kit/seed/credentials.js';
import { subgraphDatabase } from '../support/databases.js';

const shandong = regionByCode('shandong')!;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

type FeedBody = { entries?: { seq: number; credentialId: string }[]; lastSeq?: number; epoch?: string; headSeq?: number; error?: string };

/** The feed route of `db` on an ephemeral port, called as the catalogue. */
async function serveFeed(db: Database): Promise<{ server: Listening; feed: (query: string) => Promise<{ status: number; body: FeedBody }> }> {
  const app = express();
  app.use((_req, res, next) => {
    res.locals.envelopeService = 'catalogue';
    next();
  });
  catalogueFeedRoute(app, new CredentialStore(db));
  const server = await listen(app, 0);
  return {
    server,
    async feed(query) {
      const res = await fetch(`${server.url}/catalogue-feed${query}`);
      return { status: res.status, body: (await res.json()) as FeedBody };
    },
  };
}

async function issue(db: Database, ks: number[]): Promise<void> {
  await db.transaction(async (tx) => {
    await CredentialStore.lockOutbox(tx);
    await CredentialStore.insert(tx, ks.map((k) => seedCredential(shandong, k)));
  });
}

describe('a registry’s catalogue feed', () => {
  let db: Database;
  let server: Listening;
  let signer = 'catalogue';
  const ids = [0, 1, 2, 3, 4].map((k) => seedCredential(shandong, k).id);

  beforeAll(async () => {
    db = await subgraphDatabase('shandong');
    await db.transaction(async (tx) => {
      await CredentialStore.lockOutbox(tx);
      await CredentialStore.insert(tx, [0, 1, 2, 3, 4].map((k) => seedCredential(shandong, k)));
    });
    const app = express();
    // Stands in for the envelope check: which service's key signed the call.
    app.use((_req, res, next) => {
      res.locals.envelopeService = signer;
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
    return { status: res.status, body: (await res.json()) as FeedBody };
  };

  it('serves the outbox in order from the start, with the last sequence number read, the epoch and the head', async () => {
    const { status, body } = await feed('');
    expect(status).toBe(200);
    expect(body.entries!.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(body.entries!.map((e) => e.credentialId).sort()).toEqual([...ids].sort());
    expect(body.lastSeq).toBe(5);
    expect(body.epoch).toMatch(UUID);
    expect(body.headSeq).toBe(5);
  });

  it('serves only entries after the cursor, at most `limit` of them, and the whole outbox\'s head', async () => {
    expect((await feed('?after=2&limit=2')).body).toMatchObject({ lastSeq: 4, headSeq: 5 });
    expect((await feed('?after=2&limit=2')).body.entries!.map((e) => e.seq)).toEqual([3, 4]);
    expect((await feed('?after=4&limit=5000')).body.entries!.map((e) => e.seq)).toEqual([5]);
    expect((await feed('?after=0&limit=1')).body.entries!.map((e) => e.seq)).toEqual([1]);
  });

  it('answers a caught-up cursor with no entries, the cursor itself as the last sequence number, and the head', async () => {
    const { epoch } = (await feed('')).body;
    expect((await feed('?after=5')).body).toEqual({ entries: [], lastSeq: 5, epoch, headSeq: 5 });
    // A cursor past the head (it was read from another database): the head says so.
    expect((await feed('?after=900')).body).toEqual({ entries: [], lastSeq: 900, epoch, headSeq: 5 });
  });

  it.each([['?limit=0'], ['?limit=5001'], ['?after=-1'], ['?after=1.5'], ['?after=abc'], ['?limit=1e3'], ['?after=1234567890123456']])(
    'refuses %s with 400 and says what it accepts',
    async (query) => {
      const { status, body } = await feed(query);
      expect(status).toBe(400);
      expect(body).toEqual({ error: 'after must be an integer ≥ 0 and limit an integer from 1 to 5000' });
    },
  );

  it.each([['gateway'], ['recognition'], ['yangtze-delta']])('is for the catalogue only: a call signed by %s gets 403 FORBIDDEN', async (service) => {
    signer = service;
    try {
      const res = await fetch(`${server.url}/catalogue-feed`);
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ errors: [{ message: 'This endpoint is for catalogue only.', extensions: { code: 'FORBIDDEN' } }] });
    } finally {
      signer = 'catalogue';
    }
  });
});


describe('a registry’s catalogue feed past 2^31 entries', () => {
  it('serves sequence numbers above 2^31 exactly, and takes them as cursors', async () => {
    const db = await subgraphDatabase('shandong');
    const { server, feed } = await serveFeed(db);
    try {
      await db.exec(`select setval('catalogue_outbox_seq_seq', 3000000000)`);
      await issue(db, [0, 1]);
      const { status, body } = await feed('?after=3000000000');
      expect(status).toBe(200);
      expect(body.entries!.map((e) => e.seq)).toEqual([3_000_000_001, 3_000_000_002]);
      expect(body).toMatchObject({ lastSeq: 3_000_000_002, headSeq: 3_000_000_002 });
      expect((await feed('?after=3000000001')).body.entries!.map((e) => e.seq)).toEqual([3_000_000_002]);
    } finally {
      await server.close();
      await db.close();
    }
  });
});

describe('the epoch and head of a registry’s catalogue feed', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'hutong-feed-epoch-'));
  const registry = subgraphs.find((m) => m.name === 'shandong')!;
  /** Opens the on-disk registry database as a registry process starts: open, then migrate. */
  const start = async () => {
    const db = await openDatabase({ dataDir: folder });
    await prepareDatabase(registry, db);
    return db;
  };
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('keeps one epoch for the life of a database, across restarts, and the head counts every entry', async () => {
    let db = await start();
    let served = await serveFeed(db);
    let epoch: string;
    try {
      const empty = (await served.feed('')).body;
      expect(empty).toMatchObject({ entries: [], lastSeq: 0, headSeq: 0 });
      expect(empty.epoch).toMatch(UUID);
      epoch = empty.epoch!;
      await issue(db, [0, 1, 2]);
      expect((await served.feed('?after=1&limit=1')).body).toMatchObject({ lastSeq: 2, headSeq: 3, epoch });
    } finally {
      await served.server.close();
      await db.close();
    }

    db = await start();
    served = await serveFeed(db);
    try {
      expect((await served.feed('?after=3')).body).toEqual({ entries: [], lastSeq: 3, epoch, headSeq: 3 });
      await issue(db, [3, 4, 5, 6]);
      expect((await served.feed('?after=3&limit=2')).body).toMatchObject({ lastSeq: 5, headSeq: 7, epoch });
      expect((await served.feed('?after=7')).body).toEqual({ entries: [], lastSeq: 7, epoch, headSeq: 7 });
    } finally {
      await served.server.close();
      await db.close();
    }
  });

  it('gives another database another epoch, with its own sequence numbers from 1', async () => {
    const one = await subgraphDatabase('shandong');
    const two = await subgraphDatabase('shandong');
    const a = await serveFeed(one);
    const b = await serveFeed(two);
    try {
      await issue(one, [0, 1, 2, 3]);
      await issue(two, [7, 8]);
      const fromOne = (await a.feed('')).body;
      const fromTwo = (await b.feed('')).body;
      expect(fromOne.epoch).toMatch(UUID);
      expect(fromTwo.epoch).toMatch(UUID);
      expect(fromTwo.epoch).not.toBe(fromOne.epoch);
      expect(fromOne).toMatchObject({ lastSeq: 4, headSeq: 4 });
      expect(fromTwo).toMatchObject({ lastSeq: 2, headSeq: 2 });
      expect(fromTwo.entries!.map((e) => e.seq)).toEqual([1, 2]);
    } finally {
      await a.server.close();
      await b.server.close();
      await one.close();
      await two.close();
    }
  });

  it('answers 503 without the epoch when the database cannot be read, never a page without one', async () => {
    const db = await subgraphDatabase('shandong');
    const served = await serveFeed(db);
    try {
      // A database that lost its epoch row, then one without the table at all.
      await db.exec('delete from feed_epoch');
      expect(await served.feed('')).toEqual({ status: 503, body: { error: 'registry database unavailable' } });
      await db.exec('drop table feed_epoch');
      expect(await served.feed('?after=3')).toEqual({ status: 503, body: { error: 'registry database unavailable' } });
    } finally {
      await served.server.close();
      await db.close();
    }
  });
});
