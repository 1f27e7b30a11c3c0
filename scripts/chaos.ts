/**
 * `npm run chaos`: a bad day, measured as an operator would see it. Starts the whole system with
 * the start command (separate processes, embedded databases, its own data folder and ports), drives
 * it with keep-alive clients from this process, and then:
 *
 *   1. freezes one registry (SIGSTOP): how long the first answers take, how fast answers are once
 *      its breaker is open, whether the other regions' data stays complete;
 *   2. verifies a credential of the frozen region: how long until INDETERMINATE;
 *   3. thaws it (SIGCONT): how long until its data is served again;
 *   4. kills it (kill -9): whether the launcher restarts it and the other regions notice nothing;
 *   5. stops everything with Ctrl-C: how long it takes.
 *
 * Prints one table and exits 1 when a target is missed. Options: `--clients N` (default 4, a
 * load this machine carries; at 64 it is saturated and every answer queues), `--region <code>`
 * (default shandong), `--json` (machine-readable result).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { devIdentity } from './dev-identities.js';
import { mintClientToken } from '../subgraphs/kit/auth/client-tokens.js';
import { devKeyFiles, loadSigningKey } from '../subgraphs/kit/auth/keys.js';
import { regionByCode, regions } from '../subgraphs/kit/reference.js';
import { seedCredential } from '../subgraphs/kit/seed/credentials.js';
import { scenarios, verifiers } from '../subgraphs/recognition/seed.js';

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const clients = Number(option('--clients', '4'));
const frozenRegion = regionByCode(option('--region', 'shandong'));
if (!Number.isInteger(clients) || clients < 1 || !frozenRegion) {
  console.error('usage: npm run chaos -- [--clients N] [--region <region code>] [--json]');
  process.exit(2);
}
// Below Linux's ephemeral ports (32768 and up), which listeners on port 0 and outgoing connections take.
const base = 20_000 + Math.floor(Math.random() * 12_000);
const dataRoot = mkdtempSync(path.join(tmpdir(), 'hutong-chaos-'));
const gatewayUrl = `http://127.0.0.1:${base}`;

const launcher = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'scripts/start.ts')], {
  cwd: root,
  env: { ...process.env, HUTONG_PORT_BASE: String(base), HUTONG_DATA_ROOT: dataRoot, HUTONG_RATE_LIMIT_PER_MINUTE: '1000000' },
});
let output = '';
launcher.stdout.on('data', (d) => (output += d));
launcher.stderr.on('data', (d) => (output += d));
const launcherExited = new Promise<number | null>((resolve) => launcher.on('exit', (code) => resolve(code)));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(check: () => boolean | Promise<boolean>, what: string, withinMs: number): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > withinMs) throw new Error(`timed out waiting for ${what}\n${output.slice(-3000)}`);
    await sleep(20);
  }
  return Date.now() - started;
}

// One seeded credential per region.
const ids = Object.fromEntries(regions.map((r) => [r.code, seedCredential(r, 3).id]));
const alias = (code: string) => code.replaceAll('-', '_');
const QUERY = `query Chaos(${regions.map((r) => `$${alias(r.code)}: ID!`).join(', ')}) {
${regions.map((r) => `  ${alias(r.code)}: credential(id: $${alias(r.code)}) { id status }`).join('\n')}
}`;
const variables = Object.fromEntries(regions.map((r) => [alias(r.code), ids[r.code]]));

interface Sample {
  at: number;
  ms: number;
  othersComplete: boolean;
  frozenOk: boolean;
  frozenReason?: string;
  failed?: string;
}

async function main() {
  await waitFor(() => output.includes('Hutong is running.') || launcher.exitCode !== null, 'the start command', 600_000);
  if (launcher.exitCode !== null) throw new Error(`the start command failed:\n${output}`);
  const key = await loadSigningKey(devKeyFiles(path.join(dataRoot, 'keys')).clientSigningKey);
  // One caller per client, as separate operators' consoles would be: the gateway shares an
  // identical query in flight only within one caller, and four clients sharing one call to a frozen
  // region fall into step and count as one failure per timeout, so its breaker would open late.
  const tokens = await Promise.all(Array.from({ length: clients }, (_, i) => mintClientToken(key, { ...devIdentity('admin').claims, sub: `chaos-client-${i + 1}` })));

  const pool = new Pool(gatewayUrl, { connections: clients, keepAliveTimeout: 60_000 });
  const samples: Sample[] = [];
  let running = true;
  const body = JSON.stringify({ query: QUERY, variables, operationName: 'Chaos' });
  const loops = tokens.map(async (token) => {
    while (running) {
      const started = performance.now();
      try {
        const res = await pool.request({ path: '/graphql', method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
        const json = (await res.body.json()) as { data?: Record<string, { id: string } | null>; errors?: { extensions?: { serviceName?: string; reason?: string } }[] };
        const ms = performance.now() - started;
        const others = regions.filter((r) => r.code !== frozenRegion!.code);
        const othersComplete = res.statusCode === 200 && others.every((r) => json.data?.[alias(r.code)]?.id === ids[r.code]);
        const frozenOk = json.data?.[alias(frozenRegion!.code)]?.id === ids[frozenRegion!.code];
        const frozenReason = json.errors?.find((e) => e.extensions?.serviceName === frozenRegion!.code)?.extensions?.reason;
        samples.push({ at: Date.now(), ms, othersComplete, frozenOk, frozenReason });
      } catch (error) {
        samples.push({ at: Date.now(), ms: performance.now() - started, othersComplete: false, frozenOk: false, failed: (error as Error).message });
        await sleep(50);
      }
    }
  });
  const between = (from: number, to: number) => samples.filter((s) => s.at >= from && s.at < to);
  const pct = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]! : NaN);

  // Baseline.
  const baselineFrom = Date.now();
  await sleep(5000);
  const baseline = between(baselineFrom, Date.now());

  // 1. Freeze the registry.
  const pid = Number(readFileSync(path.join(dataRoot, `${frozenRegion!.code}.lock`), 'utf8'));
  const frozenAt = Date.now();
  process.kill(pid, 'SIGSTOP');
  // Frozen for 8 s, or longer until answers have come for 3 s with the breaker open (at most 30 s):
  // a busy machine must not cut short what is measured.
  const openFor = (ms: number) => {
    const first = samples.find((s) => s.at >= frozenAt && s.frozenReason === 'CIRCUIT_OPEN');
    return first !== undefined && Date.now() - first.at >= ms;
  };
  await sleep(8000);
  await waitFor(() => openFor(3000) || Date.now() - frozenAt > 30_000, 'the breaker to open', 31_000);
  const frozenMs = Date.now() - frozenAt;
  const frozen = between(frozenAt, frozenAt + frozenMs);
  const firstWave = frozen.filter((s) => s.at - s.ms <= frozenAt + 50);
  const breakerOpen = frozen.filter((s) => s.frozenReason === 'CIRCUIT_OPEN');

  // 2. A verification of a credential of the frozen region.
  // Any credential will do: with its registry frozen the verdict cannot be anything but INDETERMINATE.
  const credential = seedCredential(frozenRegion!, 5);
  const verifier = verifiers.find((v) => v.region === frozenRegion!.code)!;
  const scenario = scenarios.find((s) => verifier.scenarios.includes(s.code))!;
  process.kill(pid, 'SIGCONT'); // the code is created while the registry answers
  const holderToken = await mintClientToken(key, { sub: 'chaos-holder', role: 'holder', holder_code: credential.holderCode });
  const presented = await graphql(`mutation($id: ID!, $s: ID) { createPresentationCode(credentialId: $id, scenario: $s) { code } }`, { id: credential.id, s: scenario.code }, holderToken);
  process.kill(pid, 'SIGSTOP');
  const verifierToken = await mintClientToken(key, { sub: 'chaos-verifier', role: 'verifier', region: verifier.region, org: verifier.organisation, org_name: verifier.name, scenarios: verifier.scenarios });
  const verifyStarted = performance.now();
  const verified = await graphql(
    `mutation($input: VerifyPresentationInput!) { verifyPresentation(input: $input) { verdict reasons usageRecorded } }`,
    {
      input: {
        code: presented.data?.createPresentationCode?.code,
        scenario: scenario.code,
        context: { organisation: verifier.organisation, operator: 'chaos', serviceItemName: scenario.nameZh, serviceItemCode: scenario.serviceItemCode, businessCaseNumber: `CHAOS-${Date.now()}` },
      },
    },
    verifierToken,
  );
  const verifyMs = performance.now() - verifyStarted;
  if (!verified.data?.verifyPresentation) console.error('verification failed:', JSON.stringify(presented.errors ?? verified.errors));

  // 3. Thaw it.
  const thawedAt = Date.now();
  process.kill(pid, 'SIGCONT');
  const recoveredMs = await waitFor(() => samples.some((s) => s.at > thawedAt && s.frozenOk), 'the region to be served again', 30_000);

  // 4. Kill it.
  await sleep(2000);
  const killedAt = Date.now();
  process.kill(pid, 'SIGKILL');
  const restartedMs = await waitFor(() => samples.some((s) => s.at > killedAt + 200 && s.frozenOk) && output.includes('ready again'), 'the registry to be restarted', 90_000);
  const killed = between(killedAt, Date.now());

  running = false;
  await Promise.all(loops);
  await pool.close();

  // 5. Ctrl-C.
  const stopAt = Date.now();
  launcher.kill('SIGINT');
  const exitCode = await launcherExited;
  const stopMs = Date.now() - stopAt;

  const ms = (xs: Sample[]) => xs.map((s) => s.ms);
  const share = (xs: Sample[], f: (s: Sample) => boolean) => (xs.length ? (100 * xs.filter(f).length) / xs.length : NaN);
  const result = {
    clients,
    region: frozenRegion!.code,
    baseline: { requests: baseline.length, p50Ms: pct(ms(baseline), 50), p99Ms: pct(ms(baseline), 99), complete: share(baseline, (s) => s.othersComplete && s.frozenOk) },
    frozen: {
      ms: frozenMs,
      firstAnswerMaxMs: Math.max(...ms(firstWave)),
      breakerOpenAnswers: breakerOpen.length,
      breakerOpenP50Ms: pct(ms(breakerOpen), 50),
      breakerOpenP99Ms: pct(ms(breakerOpen), 99),
      otherRegionsComplete: share(frozen, (s) => s.othersComplete),
      failedRequests: frozen.filter((s) => s.failed).length,
      worstMs: Math.max(...ms(frozen)),
    },
    verification: { ms: Math.round(verifyMs), verdict: verified.data?.verifyPresentation?.verdict, reasons: verified.data?.verifyPresentation?.reasons },
    recoveredMs,
    killed: { restartedMs, otherRegionsComplete: share(killed, (s) => s.othersComplete), failedRequests: killed.filter((s) => s.failed).length },
    stop: { exitCode, ms: stopMs },
  };
  const targets: [string, boolean][] = [
    ['first answer with the region frozen ≤ 2500 ms', result.frozen.firstAnswerMaxMs <= 2500],
    // On a saturated machine every answer queues: then "no slower than when the region was healthy".
    ['the breaker opens while the region is frozen', result.frozen.breakerOpenAnswers > 0],
    [`answers once its breaker is open: p50 ≤ ${Math.round(Math.max(100, result.baseline.p50Ms))} ms (100 ms, or the healthy p50 if higher)`, result.frozen.breakerOpenP50Ms <= Math.max(100, result.baseline.p50Ms)],
    ['other regions complete while it is frozen: 100 %', result.frozen.otherRegionsComplete === 100],
    ['verification INDETERMINATE ≤ 2500 ms', result.verification.verdict === 'INDETERMINATE' && result.verification.ms <= 2500],
    ['served again ≤ 5000 ms after SIGCONT', result.recoveredMs <= 5000],
    ['other regions complete while it is killed and restarted: 100 %', result.killed.otherRegionsComplete === 100],
    ['Ctrl-C: exit 0 within 10 s', result.stop.exitCode === 0 && result.stop.ms < 10_000],
  ];
  if (args.includes('--json')) console.log(JSON.stringify({ ...result, targets: Object.fromEntries(targets) }));
  else {
    const f = (n: number) => (Number.isFinite(n) ? `${Math.round(n)}` : '—');
    console.log(`
Chaos run: ${clients} keep-alive clients, region ${result.region} (${regionByCode(result.region)!.name})
  baseline                     ${result.baseline.requests} requests in 5 s, p50 ${f(result.baseline.p50Ms)} ms, p99 ${f(result.baseline.p99Ms)} ms, ${f(result.baseline.complete)} % complete
  SIGSTOP for ${(result.frozen.ms / 1000).toFixed(1)} s            first answers within ${f(result.frozen.firstAnswerMaxMs)} ms; breaker open: ${result.frozen.breakerOpenAnswers} answers, p50 ${f(result.frozen.breakerOpenP50Ms)} ms, p99 ${f(result.frozen.breakerOpenP99Ms)} ms
                               other regions complete ${f(result.frozen.otherRegionsComplete)} %, failed requests ${result.frozen.failedRequests}, slowest ${f(result.frozen.worstMs)} ms
  verification while frozen    ${result.verification.verdict} ${JSON.stringify(result.verification.reasons)} in ${result.verification.ms} ms
  SIGCONT                      served again after ${result.recoveredMs} ms
  kill -9                      restarted and served again after ${result.killed.restartedMs} ms; other regions complete ${f(result.killed.otherRegionsComplete)} %, failed requests ${result.killed.failedRequests}
  Ctrl-C                       exit ${result.stop.exitCode} after ${result.stop.ms} ms

${targets.map(([name, ok]) => `  ${ok ? 'holds ' : 'MISSED'}  ${name}`).join('\n')}
`);
  }
  return targets.every(([, ok]) => ok);
}

async function graphql(query: string, variables: Record<string, unknown>, token: string) {
  const res = await fetch(`${gatewayUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: any; errors?: unknown[] };
}

let ok = false;
try {
  ok = await main();
} catch (error) {
  console.error((error as Error).message);
} finally {
  if (launcher.exitCode === null) {
    launcher.kill('SIGINT');
    await launcherExited;
  }
  rmSync(dataRoot, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);
