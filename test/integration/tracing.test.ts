/**
 * One trace per client request, across processes: the gateway continues the client's W3C
 * `traceparent`, each subgraph continues the gateway's, and recognition's calls to a registry
 * carry theirs on. Spans are collected in memory here; in production they go to the configured
 * OTLP endpoint, and nowhere without one.
 */
import { randomBytes } from 'node:crypto';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initTracing, type Tracing } from '../../subgraphs/kit/tracing.js';
import { adminToken } from '../support/identities.js';
import { ONE_PER_REGION, onePerRegionIds } from '../support/queries.js';
import { startStack, type Stack } from '../support/stack.js';
import { contextFor, present, seeded, VERIFY, verifierNamed, verifierToken } from '../support/verification.js';

const SEED = 120;
const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let stack: Stack;
beforeAll(async () => {
  tracing = initTracing({ service: 'test', exporter });
  stack = await startStack({ seedCount: SEED });
});
afterAll(async () => {
  await stack?.stop();
  await tracing?.shutdown();
  trace.disable();
});

/** Sends an operation with the client's own `traceparent`; returns the trace id it names. */
async function tracedRequest(query: string, variables: Record<string, unknown>, token: string) {
  const traceId = randomBytes(16).toString('hex');
  const clientSpanId = randomBytes(8).toString('hex');
  const res = await fetch(`${stack.gatewayUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, traceparent: `00-${traceId}-${clientSpanId}-01` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { errors?: unknown };
  expect(body.errors).toBeUndefined();
  await tracing.flush();
  const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
  return { traceId, clientSpanId, spans };
}

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const serverSpan = (spans: ReadableSpan[], service: string, path: string) =>
  spans.find((s) => s.attributes['hutong.service'] === service && s.attributes['url.path'] === path);

describe('a trace across the gateway, the subgraphs and the registries', () => {
  it('continues the client’s traceparent at the gateway and into every subgraph it calls', async () => {
    const { clientSpanId, spans } = await tracedRequest(ONE_PER_REGION, onePerRegionIds(2), await adminToken(stack));
    const gateway = serverSpan(spans, 'gateway', '/graphql')!;
    expect(gateway).toBeDefined();
    expect(parentOf(gateway)).toBe(clientSpanId);
    expect(gateway.name).toBe('POST /graphql');
    expect(gateway.attributes['http.response.status_code']).toBe(200);

    for (const subgraph of ['catalogue', 'yangtze-delta', 'chengdu-chongqing', 'shandong']) {
      const server = serverSpan(spans, subgraph, '/graphql');
      expect(server, subgraph).toBeDefined();
      // The subgraph's span is the child of the gateway's client span for that subgraph.
      const call = spans.find((s) => s.spanContext().spanId === parentOf(server!))!;
      expect(call.name).toBe(`subgraph ${subgraph}`);
      expect(call.attributes['hutong.subgraph']).toBe(subgraph);
    }
  });

  it('carries a verification’s trace from recognition to the issuing registry’s service API, without identifiers in span names', async () => {
    const eid = seeded('yangtze-delta', SEED, { type: 'e-id', province: '32' }, 4);
    const hotel = verifierNamed('上海外滩江景酒店有限公司');
    const code = await present(stack, eid, 'hotel-check-in');
    const { spans } = await tracedRequest(
      VERIFY,
      { input: { code, scenario: 'hotel-check-in', context: contextFor(hotel, 'hotel-check-in') } },
      await verifierToken(stack, hotel),
    );
    const recognition = serverSpan(spans, 'recognition', '/graphql')!;
    expect(recognition).toBeDefined();
    const liveRead = serverSpan(spans, 'yangtze-delta', '/internal/credentials/:id')!;
    expect(liveRead).toBeDefined();
    const liveReadCall = spans.find((s) => s.spanContext().spanId === parentOf(liveRead))!;
    expect(liveReadCall.name).toBe('GET yangtze-delta /internal/credentials/:id');
    const usageWrite = serverSpan(spans, 'yangtze-delta', '/internal/usage-records')!;
    expect(usageWrite).toBeDefined();
    expect(spans.find((s) => s.spanContext().spanId === parentOf(usageWrite))!.name).toBe('POST yangtze-delta /internal/usage-records');

    const everyName = spans.map((s) => `${s.name} ${JSON.stringify(s.attributes)}`).join('\n');
    expect(everyName).not.toContain(eid.id);
    expect(everyName).not.toContain(eid.holderCode);
  });
});
