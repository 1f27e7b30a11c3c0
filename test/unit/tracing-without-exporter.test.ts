/**
 * Without an OTLP endpoint Hutong makes no spans (they would be kept nowhere), yet a caller's
 * W3C `traceparent` still reaches every service called on its behalf, unchanged, so a tracing
 * caller or a tracing service further on keeps one trace.
 */
import express from 'express';
import { trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type Listening } from '../../subgraphs/kit/http.js';
import { initTracing, tracedCall, traceRequests } from '../../subgraphs/kit/tracing.js';

let server: Listening;
beforeAll(async () => {
  initTracing({ service: 'test' });
  const app = express();
  app.use(traceRequests('test'));
  app.post('/call', async (_req, res) => {
    const sent = await tracedCall('call onwards', { 'hutong.audience': 'onwards' }, async (headers) => headers);
    res.json({ sent, recording: trace.getActiveSpan()?.isRecording() ?? false });
  });
  server = await listen(app, 0);
});
afterAll(async () => {
  await server?.close();
  trace.disable();
});

const call = async (headers: Record<string, string>) => {
  const res = await fetch(`${server.url}/call`, { method: 'POST', headers });
  return (await res.json()) as { sent: Record<string, string>; recording: boolean };
};

describe('tracing without an exporter', () => {
  it('passes the caller’s traceparent on unchanged and records no span', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect(await call({ traceparent })).toEqual({ sent: { traceparent }, recording: false });
  });

  it('sends no traceparent when the caller sent none', async () => {
    expect(await call({})).toEqual({ sent: {}, recording: false });
  });

  it('ignores a malformed traceparent rather than passing it on', async () => {
    expect(await call({ traceparent: '00-not-a-trace-01' })).toEqual({ sent: {}, recording: false });
  });
});
