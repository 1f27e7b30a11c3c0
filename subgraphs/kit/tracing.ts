/**
 * OpenTelemetry traces across Hutong: a server span for every request, continued from the W3C
 * `traceparent` the caller sent, and a client span around every call to another Hutong service
 * whose context travels on in `traceparent` (gateway → subgraphs → registries). Context always
 * propagates; spans leave the process only when an OTLP endpoint is configured
 * (`HUTONG_OTLP_TRACES_URL`), so by default nothing is sent anywhere.
 */
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-node';
import type { NextFunction, Request, Response } from 'express';

const tracer = () => trace.getTracer('hutong');

/**
 * A path as telemetry may show it: without its query string, and with any segment that carries
 * an identifier (six digits or more: credential, citizen and organisation codes) as `:id`.
 */
export function telemetryPath(url: string): string {
  return url.split('?')[0]!.replace(/\/[^/]*\d{6,}[^/]*/g, '/:id');
}

export interface Tracing {
  /** Sends what is buffered now. */
  flush(): Promise<void>;
  /** Sends what is still buffered and stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * Registers the process's tracer provider once. `exporter` replaces the OTLP exporter (tests).
 * Without either, no span is made (they would be kept nowhere, at a cost on every request and
 * call): only the context manager and the W3C propagator are registered, so the caller's
 * `traceparent` still travels on unchanged to every service this one calls.
 */
export function initTracing(options: { service: string; otlpTracesUrl?: string; exporter?: SpanExporter }): Tracing {
  const exporter = options.exporter ?? (options.otlpTracesUrl ? new OTLPTraceExporter({ url: options.otlpTracesUrl }) : undefined);
  if (!exporter) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    return { flush: async () => {}, shutdown: async () => {} };
  }
  const spanProcessors: SpanProcessor[] = [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000 })];
  const provider = new NodeTracerProvider({ resource: resourceFromAttributes({ 'service.name': `hutong-${options.service}` }), spanProcessors });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  return { flush: () => provider.forceFlush(), shutdown: () => provider.shutdown() };
}

/** Express middleware: one server span per request, child of the caller's `traceparent`. */
export function traceRequests(service: string) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const path = telemetryPath(req.originalUrl);
    const span = tracer().startSpan(
      `${req.method} ${path}`,
      { kind: SpanKind.SERVER, attributes: { 'hutong.service': service, 'http.request.method': req.method, 'url.path': path } },
      parent,
    );
    res.once('finish', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.locals.requestId) span.setAttribute('hutong.request_id', String(res.locals.requestId));
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(parent, span), next);
  };
}

/**
 * Runs one call to another Hutong service in a client span and gives it the headers carrying
 * that span's context. The span fails when `work` throws.
 */
export async function tracedCall<T>(name: string, attributes: Record<string, string>, work: (traceHeaders: Record<string, string>) => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span: Span) => {
    const headers: Record<string, string> = {};
    propagation.inject(context.active(), headers);
    try {
      return await work(headers);
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}
