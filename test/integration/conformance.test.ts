/**
 * The registry contract and its conformance suite: every region's registry, started in-process on
 * its own database with its own keys, passes every check; registries broken on purpose (behind a
 * proxy that changes one thing) fail exactly the checks that concern them, saying why.
 */
import express from 'express';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kind, parse, print, type DocumentNode, type FieldDefinitionNode, type ObjectTypeDefinitionNode } from 'graphql';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConformance, contractSdlPath, type Check } from '../../scripts/conformance-checks.js';
import { staleContractSchemas } from '../../scripts/contract-schemas.js';
import { subgraphs } from '../../subgraphs/index.js';
import { callerFromEnvelope } from '../../subgraphs/kit/auth/caller.js';
import { ENVELOPE_HEADER, signEnvelope } from '../../subgraphs/kit/auth/envelope.js';
import { ensureDevKeys, loadSigningKey, type DevKeyFiles } from '../../subgraphs/kit/auth/keys.js';
import type { Database } from '../../subgraphs/kit/db.js';
import { listen, type Listening } from '../../subgraphs/kit/http.js';
import { createLogger } from '../../subgraphs/kit/logger.js';
import { regions, type Region } from '../../subgraphs/kit/reference.js';
import { loadSubgraphAuth } from '../../subgraphs/kit/run.js';
import { loadTypeDefs } from '../../subgraphs/kit/sdl.js';
import type { SubgraphApp } from '../../subgraphs/kit/subgraph-server.js';
import { subgraphDatabase } from '../support/databases.js';

const SEED_COUNT = 20;

const READ_CHECKS = [
  'health',
  'ready',
  'unsigned /graphql → 401',
  'unsigned feed → 401',
  'unsigned service API → 401',
  'replayed envelope → 401',
  'envelope for another subgraph → 401',
  'envelope for another request → 401',
  'key naming another service → 401',
  '/graphql refuses catalogue → 403',
  '/graphql refuses recognition → 403',
  'feed refuses gateway → 403',
  'feed refuses recognition → 403',
  'service API refuses catalogue → 403',
  'service API refuses gateway → 403',
  'sdl: credential entity',
  'sdl: region entity',
  'sdl: shared types',
  'sdl: access declarations',
  'feed: page',
  'feed: paging',
  'feed: bad after/limit → 400',
  'entities: credential',
  'entities: unknown credential → NOT_FOUND',
  'entities: usage record and dispute pages',
  'entities: region',
  'service API: live record',
  'service API: unknown id → 404',
];
const WRITE_CHECKS = [
  'service API: usage record stored → 201',
  'service API: same usage record again → 200',
  'service API: malformed usage record → 400',
  'service API: dispute filed → 201',
  'service API: malformed dispute → 400',
  'service API: dispute on unknown credential → 404',
];

let keyDir: string;
let keyFiles: DevKeyFiles;
beforeAll(async () => {
  keyDir = mkdtempSync(path.join(tmpdir(), 'hutong-conformance-keys-'));
  keyFiles = await ensureDevKeys(keyDir, ['gateway', 'catalogue', 'recognition', ...regions.map((r) => r.code)]);
});
afterAll(() => {
  if (keyDir) rmSync(keyDir, { recursive: true, force: true });
});

interface RunningRegistry {
  url: string;
  db: Database;
  stop(): Promise<void>;
}

/** One region's registry as its process runs it: its migrations, its seed, its own key. */
async function startRegistry(region: Region): Promise<RunningRegistry> {
  const mod = subgraphs.find((m) => m.name === region.code);
  if (!mod?.seed) throw new Error(`no registry module for ${region.code}`);
  const db = await subgraphDatabase(region.code);
  await mod.seed(db, SEED_COUNT, () => {});
  const auth = await loadSubgraphAuth(region.code, { jwks: keyFiles.internalJwks, signingKey: keyFiles.serviceKey(region.code) });
  const subgraph: SubgraphApp = await mod.create({ db, logger: createLogger('test', 'silent'), env: {}, auth });
  const listening = await listen(subgraph.app, 0);
  return {
    url: listening.url,
    db,
    async stop() {
      await listening.close(0);
      await subgraph.stop();
      await db.close();
    },
  };
}

const failing = (checks: Check[]) => checks.filter((c) => !c.ok);
const byName = (checks: Check[], name: string) => checks.find((c) => c.name === name)!;

describe.each(regions.map((r) => [r.code, r] as const))('the %s registry', (_code, region) => {
  let registry: RunningRegistry;
  beforeAll(async () => {
    registry = await startRegistry(region);
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('passes every read-only check, and writes nothing', async () => {
    const report = await runConformance({ url: registry.url, subgraph: region.code, keysFolder: keyDir, writes: false });
    expect(failing(report.checks)).toEqual([]);
    expect(report.checks.map((c) => c.name)).toEqual(READ_CHECKS);
    expect(await registry.db.query('select id from usage_record')).toEqual([]);
    expect(await registry.db.query('select id from dispute')).toEqual([]);
    // The details say what was seen.
    expect(byName(report.checks, 'feed: page').detail).toMatch(/^2 entries, seq 1, 2, lastSeq 2, headSeq \d+, epoch \S+$/);
    expect(byName(report.checks, 'sdl: credential entity').detail).toBe(`${region.typePrefix}Credential @key(fields: "id") with the contract's 21 fields`);
  });

  it('passes every check with writes: one usage record, stored once, and one dispute', async () => {
    const report = await runConformance({ url: registry.url, subgraph: region.code, keysFolder: keyDir, writes: true });
    expect(failing(report.checks)).toEqual([]);
    expect(report.checks.map((c) => c.name)).toEqual([...READ_CHECKS, ...WRITE_CHECKS]);
    const usage = await registry.db.query<{ id: string; verdict: string }>('select id, verdict from usage_record');
    expect(usage).toEqual([{ id: expect.stringMatching(/^conformance-/), verdict: 'INDETERMINATE' }]);
    expect(await registry.db.query('select field, status from dispute')).toEqual([{ field: 'number', status: 'OPEN' }]);
  });
});

// ---------------------------------------------------------------------------------------------
// Registries broken on purpose

type Forwarded = { method: string; path: string; envelope?: string; body: Buffer };
type Fault = {
  request?: (req: Forwarded) => Promise<void> | void;
  response?: (req: Forwarded, answer: { status: number; body: unknown }) => void;
};

/** A registry that differs from `target` in one thing: a proxy in front of it changes requests or answers. */
async function faulty(target: string, fault: Fault): Promise<Listening> {
  const app = express();
  app.use(express.raw({ type: () => true, limit: '2mb' }));
  app.use(async (req, res) => {
    const forwarded: Forwarded = {
      method: req.method,
      path: req.originalUrl,
      envelope: req.header(ENVELOPE_HEADER),
      body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
    };
    await fault.request?.(forwarded);
    const answer = await fetch(`${target}${forwarded.path}`, {
      method: forwarded.method,
      headers: { ...(forwarded.envelope ? { [ENVELOPE_HEADER]: forwarded.envelope } : {}), ...(forwarded.body.length ? { 'content-type': 'application/json' } : {}) },
      body: forwarded.body.length ? forwarded.body : undefined,
    });
    const text = await answer.text();
    const out = { status: answer.status, body: text ? (JSON.parse(text) as unknown) : undefined };
    fault.response?.(forwarded, out);
    res.status(out.status).json(out.body);
  });
  return listen(app, 0);
}

describe('a registry that breaks the contract fails the checks concerned', () => {
  const region = regions.find((r) => r.code === 'shandong') ?? regions[0]!;
  const credentialType = `${region.typePrefix}Credential`;
  let registry: RunningRegistry;
  let proxy: Listening | undefined;
  beforeAll(async () => {
    registry = await startRegistry(region);
  });
  afterAll(async () => {
    await registry?.stop();
  });

  async function run(fault: Fault): Promise<Check[]> {
    proxy = await faulty(registry.url, fault);
    try {
      return (await runConformance({ url: proxy.url, subgraph: region.code, keysFolder: keyDir, writes: false })).checks;
    } finally {
      await proxy.close(0);
    }
  }

  it('passes them all behind a proxy that changes nothing (the control case)', async () => {
    expect(failing(await run({}))).toEqual([]);
  });

  it('a feed that serves any service: the feed’s 403 checks fail', async () => {
    const catalogueKey = await loadSigningKey(keyFiles.serviceKey('catalogue'));
    const checks = await run({
      // What a registry without the feed's caller check does: an envelope of another service is taken as the catalogue's.
      async request(req) {
        if (!req.path.startsWith('/catalogue-feed') || !req.envelope) return;
        const claims = decodeJwt(req.envelope);
        if (claims.iss === 'catalogue') return;
        req.envelope = await signEnvelope(catalogueKey, 'catalogue', callerFromEnvelope(claims.caller), {
          audience: region.code, method: req.method, path: req.path, body: req.body,
        });
      },
    });
    expect(failing(checks).map((c) => c.name)).toEqual(['feed refuses gateway → 403', 'feed refuses recognition → 403']);
    expect(byName(checks, 'feed refuses gateway → 403').detail).toBe(
      'GET /catalogue-feed signed by gateway answered 200, not 403: an object with entries, lastSeq, epoch, headSeq',
    );
  });

  it('a feed page without its epoch: the feed checks fail, naming epoch; the rest still run', async () => {
    const checks = await run({
      response(req, answer) {
        if (req.path.startsWith('/catalogue-feed') && answer.status === 200) delete (answer.body as { epoch?: string }).epoch;
      },
    });
    expect(failing(checks).map((c) => c.name)).toEqual(['feed: page', 'feed: paging']);
    expect(byName(checks, 'feed: page').detail).toBe(
      'the page of ?after=0&limit=2 does not match the contract: epoch: Invalid input: expected string, received undefined',
    );
  });

  it('a /graphql that takes unsigned requests: the unsigned /graphql check fails', async () => {
    const gatewayKey = await loadSigningKey(keyFiles.serviceKey('gateway'));
    const checks = await run({
      // What a registry that does not check envelopes on /graphql does: serve whoever reaches it.
      async request(req) {
        if (req.path !== '/graphql' || req.envelope) return;
        req.envelope = await signEnvelope(gatewayKey, 'gateway', { role: 'anonymous' }, { audience: region.code, method: req.method, path: req.path, body: req.body });
      },
    });
    expect(failing(checks).map((c) => c.name)).toEqual(['unsigned /graphql → 401']);
    expect(byName(checks, 'unsigned /graphql → 401').detail).toBe('POST /graphql without an envelope answered 200, not 401: an object with data');
  });

  it('an SDL that loosens a field’s type and opens the credential to everyone: the SDL checks fail, naming them', async () => {
    const checks = await run({
      response(req, answer) {
        const data = (answer.body as { data?: { _service?: { sdl: string } } } | undefined)?.data;
        if (req.path !== '/graphql' || !data?._service) return;
        data._service.sdl = data._service.sdl
          .replace(new RegExp(`(type ${credentialType}\\s[^{]*)@requiresScopes\\(scopes: \\[[^{]*\\]\\)`), '$1@requiresScopes(scopes: [["public"]])')
          .replace(new RegExp(`(type ${credentialType}\\s[^{]*\\{[^}]*?)holderCode: String!`), '$1holderCode: String');
      },
    });
    expect(failing(checks).map((c) => c.name)).toEqual(['sdl: credential entity', 'sdl: access declarations']);
    expect(byName(checks, 'sdl: credential entity').detail).toBe(`${credentialType}.holderCode is String, the contract needs String!`);
    expect(byName(checks, 'sdl: access declarations').detail).toMatch(
      new RegExp(`^${credentialType}\\.id is readable by admin, analyst, anonymous, holder, issuer, rule-officer, verifier; the contract says admin, holder, issuer; `),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The contract's own files

describe('the contract files', () => {
  const objectType = (document: DocumentNode, name: string) =>
    document.definitions.find((d): d is ObjectTypeDefinitionNode => d.kind === Kind.OBJECT_TYPE_DEFINITION && d.name.value === name)!;
  const shape = (fields: readonly FieldDefinitionNode[]) => fields.map((f) => `${f.name.value}: ${print(f.type)}`).sort();

  it('asks of each credential and region entity exactly what the catalogue takes from the registries (@external), and their keys', () => {
    const contract = parse(readFileSync(contractSdlPath, 'utf8'));
    // With the per-region types the catalogue generates from the regions file.
    const catalogue = loadTypeDefs(subgraphs.find((m) => m.name === 'catalogue')!.sdlPath);
    const external = (f: FieldDefinitionNode) => f.directives?.some((d) => d.name.value === 'external');
    for (const [kind, key] of [['Credential', 'id'], ['Region', 'code']] as const) {
      const wanted = objectType(contract, `Prefix${kind}`).fields!;
      for (const region of regions) {
        const declared = objectType(catalogue, `${region.typePrefix}${kind}`).fields!.filter((f) => external(f) || f.name.value === key);
        expect(shape(wanted), `${region.typePrefix}${kind}`).toEqual(shape(declared));
      }
    }
  });

  it('keeps the committed JSON Schemas as contract.ts renders them', () => {
    expect(staleContractSchemas()).toEqual([]);
  });
});
