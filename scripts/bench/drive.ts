/**
 * The load generator of `npm run bench`, run as a process of its own so that it shares no event
 * loop with the servers it measures: reads a job (JSON file named by the first argument), drives
 * the URL with autocannon and prints one JSON line with the result.
 *
 * Requests are taken in turn from the job's list (each connection takes the next one), so a
 * list of single-use presentation codes is used once each. A response counts as an error when
 * its status is not 2xx, the connection fails or times out, or its body carries GraphQL `errors`.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { percentile } from './latency.js';

export interface DriveJob {
  url: string;
  connections: number;
  /** Seconds; ignored when `amount` is given. */
  duration: number;
  /** Stop after this many requests (a pool of single-use codes). */
  amount?: number;
  /** Requests taken in turn, round robin. */
  requests: { headers: Record<string, string>; body: string }[];
}

export interface DriveResult {
  /** Requests answered. */
  requests: number;
  /** Requests sent (the answered ones and those in flight when the run ended). */
  sent: number;
  seconds: number;
  rps: number;
  /** Milliseconds, of the 2xx answers: read from `latencyMs`. */
  p50: number;
  p99: number;
  /**
   * How many 2xx answers took each whole number of milliseconds (`{ "12": 40 }`): runs of one
   * operation made in rounds add up to one distribution, from which their p50 and p99 are read.
   */
  latencyMs: Record<string, number>;
  /** Non-2xx answers, failed or timed-out connections, and answers with GraphQL errors. */
  errors: number;
  /** The first error body seen, for the report (cut short). */
  firstError?: string;
  /** CPU milliseconds (user + system) this load generator spent during the run: its share of the machine. */
  cpuMs?: number;
}

const job = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as DriveJob;
let next = 0;
let graphqlErrors = 0;
let firstError: string | undefined;
const cpuBefore = process.cpuUsage();
const latencyMs: Record<string, number> = {};
const options: autocannon.Options = {
  url: job.url,
  connections: job.connections,
  ...(job.amount ? { amount: job.amount } : { duration: job.duration }),
  timeout: 30,
  requests: [
    {
      method: 'POST',
      setupRequest: (req) => {
        const r = job.requests[next++ % job.requests.length]!;
        return { ...req, headers: { 'content-type': 'application/json', ...r.headers }, body: r.body };
      },
      onResponse: (status, body) => {
        if (status >= 200 && status < 300 && body.includes('"errors"')) {
          graphqlErrors++;
          firstError ??= body.slice(0, 300);
        } else if (status >= 300) firstError ??= `HTTP ${status}: ${body.slice(0, 300)}`;
      },
    },
  ],
};
const startedAt = performance.now();
let lastAnswerAt = startedAt;
const result = await new Promise<autocannon.Result>((resolve, reject) => {
  const instance = autocannon(options, (error, done) => (error ? reject(error) : resolve(done)));
  // autocannon keeps latency only as percentiles; the distribution is kept here so that rounds add up.
  instance.on('response', (_client, status, _bytes, ms) => {
    lastAnswerAt = performance.now();
    if (status >= 200 && status < 300) {
      const bucket = String(Math.floor(ms));
      latencyMs[bucket] = (latencyMs[bucket] ?? 0) + 1;
    }
  });
});
const cpu = process.cpuUsage(cpuBefore);
// A run of a fixed amount ends at autocannon's next one-second sample after its last answer, and
// its duration says so: a pool answered in 3.1 s would count as 4. Such a run lasts until its last answer.
const seconds = job.amount ? Math.round(lastAnswerAt - startedAt) / 1000 : result.duration;
const out: DriveResult = {
  requests: result.requests.total,
  sent: (result.requests as { sent?: number }).sent ?? result.requests.total,
  seconds,
  rps: seconds > 0 ? result.requests.total / seconds : 0,
  p50: percentile(latencyMs, 50),
  p99: percentile(latencyMs, 99),
  latencyMs,
  // autocannon counts timeouts among its errors.
  errors: result.non2xx + result.errors + graphqlErrors,
  ...(firstError ? { firstError } : {}),
  cpuMs: (cpu.user + cpu.system) / 1000,
};
process.stdout.write(`${JSON.stringify(out)}\n`);
