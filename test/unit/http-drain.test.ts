/**
 * Stopping a server (`drain` in kit/http.ts, used by the gateway and every subgraph on SIGTERM):
 * a request in flight is answered; one still running at the drain limit loses its connection,
 * with one warning, and the process does not wait for it.
 */
import express from 'express';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { drain, DRAIN_LIMIT_MS, listen } from '../../subgraphs/kit/http.js';
import { createLogger } from '../../subgraphs/kit/logger.js';

function server(answerAfterMs: number) {
  const app = express();
  app.get('/work', (_req, res) => {
    setTimeout(() => res.json({ done: true }), answerAfterMs).unref();
  });
  return listen(app, 0);
}

function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  return { lines, logger: createLogger('drain-test', 'info', { write: (line) => void lines.push(JSON.parse(line)) }) };
}

describe('draining a server', () => {
  it('gives every process 8 s, within the 10 s an orchestrator waits after SIGTERM', () => {
    expect(DRAIN_LIMIT_MS).toBe(8000);
  });

  it('answers a request in flight and reports that everything finished', async () => {
    const listening = await server(150);
    const { lines, logger } = capturedLogger();
    const answer = request(`${listening.url}/work`).then(async (r) => ({ status: r.statusCode, body: await r.body.json() }));
    await new Promise((r) => setTimeout(r, 30));
    expect(await drain(listening, logger, 2000)).toBe(true);
    expect(await answer).toEqual({ status: 200, body: { done: true } });
    expect(lines).toEqual([]);
  });

  it('closes the connection of a request still running at the limit, says so once, and does not wait for it', async () => {
    const listening = await server(60_000);
    const { lines, logger } = capturedLogger();
    const answer = request(`${listening.url}/work`).then(
      (r) => `status ${r.statusCode}`,
      (error: Error) => `failed: ${error.name}`,
    );
    await new Promise((r) => setTimeout(r, 30));
    const startedAt = Date.now();
    expect(await drain(listening, logger, 300)).toBe(false);
    const tookMs = Date.now() - startedAt;
    expect(tookMs).toBeGreaterThanOrEqual(290);
    expect(tookMs).toBeLessThan(5000);
    expect(await answer).toMatch(/^failed: /);
    expect(lines.map((l) => [l.level, l.msg, l.afterMs])).toEqual([[40, 'requests still running after the drain limit; closing their connections', 300]]);
  });
});
