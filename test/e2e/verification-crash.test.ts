/**
 * The recognition subgraph, run as its own process, killed with SIGKILL in the middle of a
 * verification: it never spends a presentation code without a verification, and never loses a
 * verification's usage record. Killed while the issuing registry holds the live read: nothing was
 * written and the code still works. Killed while the registry holds the usage write: the
 * verification and its queued usage record are on disk, and the restarted process's relay
 * delivers the record. The registry is a real Shandong registry (in this process, on its own
 * database) behind a door that can hold one kind of call unanswered.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Caller } from '../../subgraphs/kit/auth/caller.js';
import { ENVELOPE_HEADER, signEnvelope } from '../../subgraphs/kit/auth/envelope.js';
import { ensureDevKeys, loadSigningKey, type SigningKey } from '../../subgraphs/kit/auth/keys.js';
import { serviceNames } from '../../subgraphs/kit/reference.js';
import { registryUrlVariable } from '../../subgraphs/kit/config.js';
import { openDatabase, type Database } from '../../subgraphs/kit/db.js';
import { createLogger } from '../../subgraphs/kit/logger.js';
import { loadSubgraphAuth, prepareDatabase } from '../../subgraphs/kit/run.js';
import type { SubgraphApp } from '../../subgraphs/kit/subgraph-server.js';
import { recognition as recognitionModule } from '../../subgraphs/recognition/server.js';
import { shandong } from '../../subgraphs/shandong/server.js';
import { contextFor, seeded, verifierNamed, VERIFY } from '../support/verification.js';

const root = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'hutong-verification-crash-'));
const dataDir = path.join(dir, 'recognition');
const SEED = 120;
const jinanHall = verifierNamed('济南市政务服务中心');

type Call = 'read' | 'usage';
const kindOf = (req: IncomingMessage): Call | null =>
  req.url?.startsWith('/internal/credentials/') ? 'read' : req.url === '/internal/usage-records' ? 'usage' : null;

let signingKey: SigningKey;
let registryDb: Database;
let registry: SubgraphApp;
let door: Server;
let doorUrl: string;
/** The kind of registry call the door holds unanswered, if any. */
let holding: Call | null = null;
const held = new Set<IncomingMessage>();
let arrivals: Call[] = [];
let recognition: { child: ChildProcess; url: string; output: () => string } | undefined;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  const keys = await ensureDevKeys(path.join(dir, 'keys'), serviceNames());
  signingKey = await loadSigningKey(keys.serviceKey('gateway'));
  registryDb = await openDatabase({ dataDir: 'memory://' });
  await prepareDatabase(shandong, registryDb);
  await shandong.seed!(registryDb, SEED, () => {});
  const auth = await loadSubgraphAuth('shandong', { jwks: keys.internalJwks, signingKey: keys.serviceKey('shandong') });
  registry = await shandong.create({ db: registryDb, logger: createLogger('test', 'silent'), env: {}, auth });
  door = createServer((req, res) => {
    const kind = kindOf(req);
    if (kind) arrivals.push(kind);
    if (kind !== null && kind === holding) {
      held.add(req);
      return;
    }
    registry.app(req, res);
  });
  await new Promise<void>((resolve) => door.listen(0, '127.0.0.1', resolve));
  // The embedded database is created here, where a slow first start has the hook's time.
  const recognitionDb = await openDatabase({ dataDir });
  await prepareDatabase(recognitionModule, recognitionDb);
  await recognitionModule.seed!(recognitionDb, 0, () => {});
  await recognitionDb.close();
  doorUrl = `http://127.0.0.1:${(door.address() as AddressInfo).port}`;
  env = {
    ...process.env,
    HUTONG_PORT: '0',
    HUTONG_DATA_DIR: dataDir,
    HUTONG_INTERNAL_JWKS_FILE: keys.internalJwks,
    HUTONG_INTERNAL_SIGNING_KEY_FILE: keys.serviceKey('recognition'),
    [registryUrlVariable('shandong')]: doorUrl,
    // Nothing here calls the other regions: a port nobody listens on.
    [registryUrlVariable('yangtze-delta')]: 'http://127.0.0.1:9',
    [registryUrlVariable('chengdu-chongqing')]: 'http://127.0.0.1:9',
    // Long enough that the verification is still waiting when the process is killed, short
    // enough that the record it held back from the relay (for what remained of it) is due soon.
    HUTONG_REGISTRY_TIMEOUT_MS: '5000',
    HUTONG_USAGE_RELAY_INTERVAL_MS: '100',
    HUTONG_LOG_LEVEL: 'info',
    NODE_ENV: 'production',
  };
});

afterAll(async () => {
  if (recognition && recognition.child.exitCode === null) recognition.child.kill('SIGKILL');
  release();
  door?.closeAllConnections();
  await new Promise((r) => (door ? door.close(r) : r(undefined)));
  await registry?.stop();
  await registryDb?.close();
  rmSync(dir, { recursive: true, force: true });
});

function release(): void {
  holding = null;
  for (const req of held) req.socket.destroy();
  held.clear();
}

/** Starts the process, unless the previous test left it running. */
async function startRecognition(): Promise<void> {
  if (recognition && recognition.child.exitCode === null && recognition.child.signalCode === null) return;
  const child = spawn(process.execPath, ['--import', 'tsx', 'subgraphs/recognition/server.ts'], { cwd: root, env });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const deadline = Date.now() + 60_000;
  let url: string | undefined;
  while (!url) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`recognition did not start:\n${output}`);
    url = /"url":"(http:\/\/[^"]+)\/graphql"/.exec(output)?.[1];
    await new Promise((r) => setTimeout(r, 100));
  }
  recognition = { child, url, output: () => output };
}

async function kill9(): Promise<void> {
  const { child } = recognition!;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

async function stopRecognition(): Promise<void> {
  const { child } = recognition!;
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
}

/** A GraphQL operation sent to the recognition process as the gateway sends it: signed for the caller. */
async function graphql(caller: Caller, query: string, variables: Record<string, unknown>): Promise<{ data?: any; errors?: any }> {
  const body = JSON.stringify({ query, variables });
  const envelope = await signEnvelope(signingKey, 'gateway', caller, { audience: 'recognition', method: 'POST', path: '/graphql', body });
  const res = await fetch(`${recognition!.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', [ENVELOPE_HEADER]: envelope }, body });
  return (await res.json()) as { data?: any; errors?: any };
}

const eid = () => seeded('shandong', SEED, { type: 'e-id', province: '37' });
const holder = (holderCode: string): Caller => ({ role: 'holder', subject: 'holder-app-user', holderCode });
const operator: Caller = {
  role: 'verifier', subject: 'operator-1', region: jinanHall.region, organisation: jinanHall.organisation, organisationName: jinanHall.name, scenarios: jinanHall.scenarios,
};

async function present(credential: { id: string; holderCode: string }): Promise<string> {
  const { data, errors } = await graphql(holder(credential.holderCode), `mutation($id: ID!) { createPresentationCode(credentialId: $id, scenario: "service-hall-visit") { code } }`, { id: credential.id });
  expect(errors).toBeUndefined();
  return data.createPresentationCode.code;
}

function verify(code: string) {
  return graphql(operator, VERIFY, { input: { code, scenario: 'service-hall-visit', context: contextFor(jinanHall, 'service-hall-visit') } });
}

/** Starts a verification, waits until the registry holds its `call`, and kills the process then. */
async function killDuring(call: Call, code: string): Promise<void> {
  holding = call;
  arrivals = [];
  const inFlight = verify(code).then(
    () => 'answered',
    () => 'cut off',
  );
  for (let waited = 0; !arrivals.includes(call); waited += 10) {
    if (waited > 20_000) throw new Error(`the ${call} call never reached the registry:\n${recognition!.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  await kill9();
  expect(await inFlight).toBe('cut off');
  release();
}

/** Reads recognition's own database while no process has it open. */
async function onDisk<T>(read: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase({ dataDir });
  try {
    return await read(db);
  } finally {
    await db.close();
  }
}

const usageAtRegistry = (id: string) => registryDb.query<{ id: string; verdict: string }>(`select id, verdict from usage_record where id = $1`, [id]);

it('spends no code when killed during the live read, and the code works after the restart', async () => {
  await startRecognition();
  const credential = eid();
  const code = await present(credential);
  await killDuring('read', code);

  const jti = decodeJwt(code).jti!;
  expect(
    await onDisk(async (db) => ({
      code: await db.query(`select consumed_at is null as unused from presentation_code where jti = $1`, [jti]),
      verifications: await db.query(`select id from verification`),
      outbox: await db.query(`select verification_id from usage_outbox`),
    })),
  ).toEqual({ code: [{ unused: true }], verifications: [], outbox: [] });

  await startRecognition();
  const { data, errors } = await verify(code);
  expect(errors).toBeUndefined();
  expect(data.verifyPresentation).toMatchObject({ verdict: 'ACCEPTED', usageRecorded: true });
  expect(await usageAtRegistry(data.verifyPresentation.id)).toEqual([{ id: data.verifyPresentation.id, verdict: 'ACCEPTED' }]);
}, 240_000);

it('keeps the verification and its usage record when killed during the usage write, and the restarted relay delivers it', async () => {
  await startRecognition();
  const credential = eid();
  const code = await present(credential);
  await killDuring('usage', code);

  const jti = decodeJwt(code).jti!;
  const stored = await onDisk(async (db) => ({
    code: await db.query<{ by: string }>(`select consumed_by as by from presentation_code where jti = $1`, [jti]),
    verifications: await db.query<{ id: string; verdict: string; usageRecorded: boolean }>(
      `select id, verdict, usage_recorded as "usageRecorded" from verification where code_jti = $1`, [jti]),
    outbox: await db.query<{ id: string; region: string; pending: boolean; recordId: string }>(
      `select verification_id as id, region_code as region, delivered_at is null as pending, record->>'id' as "recordId" from usage_outbox
       where verification_id in (select id from verification where code_jti = $1)`, [jti]),
  }));
  expect(stored.code).toEqual([{ by: jinanHall.organisation }]);
  expect(stored.verifications).toEqual([{ id: expect.any(String), verdict: 'ACCEPTED', usageRecorded: false }]);
  const id = stored.verifications[0]!.id;
  expect(stored.outbox).toEqual([{ id, region: 'shandong', pending: true, recordId: id }]);
  expect(await usageAtRegistry(id)).toEqual([]);

  await startRecognition();
  for (let waited = 0; (await usageAtRegistry(id)).length === 0; waited += 100) {
    if (waited > 15_000) throw new Error(`the relay did not deliver the usage record:\n${recognition!.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(await usageAtRegistry(id)).toEqual([{ id, verdict: 'ACCEPTED' }]);
  // The code stays spent: the verification it paid for stands.
  expect((await verify(code)).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'PRESENTATION_CODE_USED' });
  await stopRecognition();
  expect(
    await onDisk(async (db) => [
      await db.query(`select usage_recorded as "usageRecorded" from verification where id = $1`, [id]),
      await db.query(`select delivered_at is not null as delivered from usage_outbox where verification_id = $1`, [id]),
    ]),
  ).toEqual([[{ usageRecorded: true }], [{ delivered: true }]]);
}, 240_000);
