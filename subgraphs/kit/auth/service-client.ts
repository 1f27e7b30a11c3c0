import { request, type Dispatcher } from 'undici';
import { anonymous, type Caller } from './caller.js';
import { ENVELOPE_HEADER, signEnvelope } from './envelope.js';
import type { ServiceSigner } from './service-keys.js';
import { telemetryPath, tracedCall } from '../tracing.js';

export interface ServiceCall {
  /** Name of the subgraph called (the envelope's audience). */
  audience: string;
  baseUrl: string;
  method: 'GET' | 'POST';
  /** Path and query string. */
  path: string;
  json?: unknown;
  /** On whose behalf the call is made; anonymous for the service's own work. */
  caller?: Caller;
  /** Ends the call early (a deadline, or the service stopping): it fails as unreachable. */
  signal?: AbortSignal;
}

export class ServiceCallError extends Error {
  override name = 'ServiceCallError';
  constructor(
    message: string,
    readonly status?: number,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

/**
 * Calls another subgraph's internal HTTP API with an envelope signed by the calling service's own key.
 * Network failures and non-2xx answers become a ServiceCallError.
 */
export async function callService<T>(dispatcher: Dispatcher, signer: ServiceSigner, call: ServiceCall): Promise<T> {
  const body = call.json === undefined ? '' : JSON.stringify(call.json);
  const envelope = await signEnvelope(await signer.current(), signer.service, call.caller ?? anonymous, {
    audience: call.audience,
    method: call.method,
    path: call.path,
    body,
  });
  const path = telemetryPath(call.path);
  return tracedCall(`${call.method} ${call.audience} ${path}`, { 'hutong.audience': call.audience, 'url.path': path }, async (traceHeaders) => {
    let res;
    try {
      res = await request(`${call.baseUrl}${call.path}`, {
        method: call.method,
        dispatcher,
        headers: { ...traceHeaders, [ENVELOPE_HEADER]: envelope, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body || undefined,
        signal: call.signal,
      });
    } catch (error) {
      throw new ServiceCallError(`${call.audience} could not be reached: ${(error as Error).message}`);
    }
    return readAnswer<T>(call.audience, res);
  });
}

async function readAnswer<T>(audience: string, res: Dispatcher.ResponseData): Promise<T> {
  const text = await res.body.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  if (res.statusCode < 200 || res.statusCode >= 300) {
    throw new ServiceCallError(`${audience} answered HTTP ${res.statusCode}`, res.statusCode, parsed);
  }
  return parsed as T;
}
