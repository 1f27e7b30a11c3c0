/**
 * The gateway's supergraph source: what it hands @apollo/gateway at start and on reload, what it
 * refuses, and which access policy goes with which schema. `update` is the gateway library's
 * callback, recorded here; the files are real, in a temporary folder.
 */
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildSchema } from 'graphql';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSupergraphFile, SupergraphSource } from '../../gateway/src/supergraph.js';
import { createLogger } from '../../subgraphs/kit/logger.js';

const root = path.resolve(import.meta.dirname, '../..');
const committed = readFileSync(path.join(root, 'schema/supergraph.graphql'), 'utf8');
const dir = mkdtempSync(path.join(tmpdir(), 'hutong-supergraph-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The committed supergraph with one subgraph URL changed: a real change, still valid. */
const changed = committed.replace('url: "http://127.0.0.1:4004/graphql"', 'url: "http://10.0.0.4:4004/graphql"');
/** Two stand-ins for the API schemas the gateway builds from each supergraph. */
const schemaOf = () => buildSchema('type Query { a: Int }');

let file: string;
let lines: { msg: string; reason?: string; trigger?: string }[];
let updates: string[];
let source: SupergraphSource;
let failUpdate: Error | undefined;

beforeEach(async () => {
  file = path.join(mkdtempSync(path.join(dir, 'case-')), 'supergraph.graphql');
  writeFileSync(file, committed);
  lines = [];
  updates = [];
  failUpdate = undefined;
  source = new SupergraphSource(file, createLogger('test', 'info', { write: (l) => void lines.push(JSON.parse(l)) }));
});
afterEach(() => source.close());

async function start() {
  const result = await source.hook({
    update: (sdl: string) => {
      if (failUpdate) throw failUpdate;
      updates.push(sdl);
    },
    healthCheck: async () => {},
    getDataSource: () => undefined as never,
  });
  const first = schemaOf();
  source.schemaLoaded(first); // what @apollo/gateway's onSchemaLoadOrUpdate does with the result
  return { result, first };
}

describe('the supergraph source', () => {
  it('hands the gateway the executable supergraph and pairs its schema with the access policy read from the same file', async () => {
    const { result, first } = await start();
    expect(result.supergraphSdl).toContain('@join__graph(name: "shandong", url: "http://127.0.0.1:4004/graphql")');
    expect(result.supergraphSdl).not.toContain('for: SECURITY');
    const policy = source.policyFor(first)!;
    expect([...policy.allowed('Query', 'scenarios')].sort()).toEqual(['admin', 'analyst', 'anonymous', 'holder', 'issuer', 'rule-officer', 'verifier']);
    expect(source.policyFor(schemaOf())).toBeUndefined();
  });

  it('swaps in a changed file on reload, with its own policy, and keeps the old schema’s policy for requests still running on it', async () => {
    const { first } = await start();
    const before = source.policyFor(first);
    writeFileSync(file, changed);
    expect(await source.reload('signal')).toBe(true);
    expect(updates).toHaveLength(1);
    expect(updates[0]).toContain('url: "http://10.0.0.4:4004/graphql"');
    const second = schemaOf();
    source.schemaLoaded(second);
    expect(source.policyFor(second)).not.toBe(before);
    expect(source.policyFor(first)).toBe(before);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'supergraph loaded', trigger: 'signal' }));
  });

  it('does not hand the gateway an unchanged file again', async () => {
    await start();
    expect(await source.reload('signal')).toBe(false);
    expect(updates).toEqual([]);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'supergraph unchanged', trigger: 'signal' }));
  });

  it('refuses a broken file with one log line and keeps serving the previous supergraph', async () => {
    const { first } = await start();
    const before = source.policyFor(first);
    writeFileSync(file, 'type Query {');
    expect(await source.reload('file')).toBe(false);
    expect(updates).toEqual([]);
    expect(source.policyFor(first)).toBe(before);
    expect(lines.filter((l) => l.msg === 'supergraph refused; still serving the previous one')).toEqual([
      expect.objectContaining({ trigger: 'file', reason: `The supergraph at ${file} is not valid: Syntax Error: Expected Name, found <EOF>.` }),
    ]);
    // The next good file is taken.
    writeFileSync(file, changed);
    expect(await source.reload('signal')).toBe(true);
  });

  it('keeps the previous policy for the next schema when the gateway refuses the update', async () => {
    const { first } = await start();
    const before = source.policyFor(first);
    writeFileSync(file, changed);
    failUpdate = new Error("Can't call `update` callback while supergraph update is in progress.");
    expect(await source.reload('signal')).toBe(false);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'supergraph refused by the gateway; still serving the previous one', reason: failUpdate.message }));
    const next = schemaOf();
    source.schemaLoaded(next);
    expect(source.policyFor(next)).toBe(before);
    // And the same file is not mistaken for the one being served: it loads once the gateway takes it.
    failUpdate = undefined;
    expect(await source.reload('signal')).toBe(true);
  });

  it('reloads by itself when the file is replaced', async () => {
    await start();
    // Deploy tools write a new file and rename it over the old one.
    writeFileSync(`${file}.new`, changed);
    renameSync(`${file}.new`, file);
    for (const started = Date.now(); updates.length === 0 && Date.now() - started < 5000; ) await new Promise((r) => setTimeout(r, 50));
    expect(updates).toHaveLength(1);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'supergraph loaded', trigger: 'file' }));
  });
});

describe('the supergraph source before and after the gateway uses it', () => {
  const replaceFile = (content: string) => {
    writeFileSync(`${file}.new`, content);
    renameSync(`${file}.new`, file);
  };
  const settle = () => new Promise((r) => setTimeout(r, 600)); // past the 200 ms debounce

  it('reloads nothing before the gateway has asked for a supergraph', async () => {
    expect(await source.reload('signal')).toBe(false);
    expect(lines).toEqual([]);
    source.schemaLoaded(schemaOf());
  });

  it('stops watching once the gateway cleans up, and after close', async () => {
    const { result } = await start();
    await result.cleanup!();
    replaceFile(changed);
    await settle();
    expect(updates).toEqual([]);
    expect(lines).toEqual([]);
  });

  it('watches once, however often the gateway asks', async () => {
    await start();
    await start();
    source.close();
    replaceFile(changed);
    await settle();
    expect(updates).toEqual([]);
  });

  it('ignores other files in the same folder', async () => {
    await start();
    writeFileSync(path.join(path.dirname(file), 'notes.txt'), 'not the supergraph');
    await settle();
    expect(lines).toEqual([]);
  });
});

describe('reading a supergraph file', () => {
  it('names a missing file and the command that makes one', async () => {
    const missing = path.join(dir, 'nowhere.graphql');
    await expect(loadSupergraphFile(missing)).rejects.toThrow(`Cannot read the supergraph at ${missing}: ENOENT: no such file or directory, open '${missing}'. Run \`npm run compose\`.`);
  });

  it('refuses a supergraph using a security feature Hutong does not enforce', async () => {
    const f = path.join(dir, 'authenticated.graphql');
    writeFileSync(f, committed.replace('@link(url: "https://specs.apollo.dev/link/v1.0")', '@link(url: "https://specs.apollo.dev/link/v1.0")\n  @link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)'));
    await expect(loadSupergraphFile(f)).rejects.toThrow(
      `The supergraph at ${f} is not valid: The supergraph uses https://specs.apollo.dev/authenticated/v0.1, which the Hutong gateway does not enforce; declare access with @requiresScopes.`,
    );
  });

  it('names the subgraphs of a valid one', async () => {
    const f = path.join(dir, 'valid.graphql');
    writeFileSync(f, committed);
    expect((await loadSupergraphFile(f)).subgraphs.sort()).toEqual(['catalogue', 'chengdu-chongqing', 'hebei', 'recognition', 'shandong', 'yangtze-delta']);
  });
});
