import { RemoteGraphQLDataSource } from '@apollo/gateway';
import type { Fetcher } from '@apollo/utils.fetcher';
import { GraphQLError } from 'graphql';
import { STATUS_CODES } from 'node:http';
import { Agent } from 'undici';
import { anonymous, type Caller } from '../../subgraphs/kit/auth/caller.js';
import { ENVELOPE_HEADER, signEnvelope } from '../../subgraphs/kit/auth/envelope.js';
import type { ServiceSigner } from '../../subgraphs/kit/auth/service-keys.js';
import { ErrorCode } from '../../subgraphs/kit/errors.js';
import { REQUEST_ID_HEADER } from '../../subgraphs/kit/request-context.js';
import { tracedCall } from '../../subgraphs/kit/tracing.js';
import { SubgraphCallError, SubgraphGuard, type FailureReason, type GuardEvents, type SubgraphHealth, type SubgraphPolicy } from './resilience.js';
import { SharedCalls, sharedCallKey, type SharedAnswer } from './shared-calls.js';

/** Carry the caller, the deadline and the operation kind from `willSendRequest` to the fetcher, which removes them. */
const PENDING_CALLER_HEADER = 'x-hutong-pending-caller';
const PENDING_DEADLINE_HEADER = 'x-hutong-pending-deadline';
const PENDING_MUTATION_HEADER = 'x-hutong-pending-mutation';

export interface GatewayContext {
  caller: Caller;
  requestId?: string;
  /** When the client request's time is up (epoch ms): every subgraph call ends by then. */
  deadlineAt?: number;
}

/**
 * A subgraph data source whose transport failures (refused connection, timeout, HTTP error)
 * reach clients as one stable code naming the subgraph, never as the raw network error.
 */
class SubgraphDataSource extends RemoteGraphQLDataSource {
  constructor(
    private readonly subgraphName: string,
    config: ConstructorParameters<typeof RemoteGraphQLDataSource>[0],
  ) {
    super(config);
  }

  override willSendRequest({ request, context }: { request: { query?: string; http?: { headers: { set(k: string, v: string): void } } }; context: Partial<GatewayContext> }): void {
    const headers = request.http?.headers;
    // Base64url: header values must be ASCII, and organisation names are Chinese.
    if (context.requestId) headers?.set(REQUEST_ID_HEADER, context.requestId);
    headers?.set(PENDING_CALLER_HEADER, Buffer.from(JSON.stringify(context.caller ?? anonymous)).toString('base64url'));
    if (context.deadlineAt) headers?.set(PENDING_DEADLINE_HEADER, String(context.deadlineAt));
    // The query planner writes subgraph operations with their keyword first; only queries are retried.
    if (request.query?.trimStart().startsWith('mutation')) headers?.set(PENDING_MUTATION_HEADER, '1');
  }

  override didEncounterError(error: Error, _fetchRequest: unknown, _fetchResponse?: unknown, context?: Partial<GatewayContext>): void {
    const reason = error instanceof SubgraphCallError ? error.reason : 'UNREACHABLE';
    this.onFailure?.(this.subgraphName, reason, error.message, context?.requestId);
    throw new GraphQLError(
      reason === 'CIRCUIT_OPEN'
        ? `Subgraph ${this.subgraphName} is failing and is not being called for now; data from other subgraphs is unaffected.`
        : `Subgraph ${this.subgraphName} could not be reached or failed; data from other subgraphs is unaffected.`,
      { originalError: error, extensions: { code: ErrorCode.SUBGRAPH_UNAVAILABLE, serviceName: this.subgraphName, reason } },
    );
  }

  onFailure?: FailureListener;
}

/**
 * The part of a fetch Response the data source reads (status, headers, the body as JSON or
 * text), over undici's request API: its fetch builds WHATWG streams, Headers and a Blob for every
 * subgraph answer, which profiles of `npm run bench` showed among the gateway's largest costs.
 */
export class SubgraphResponse {
  readonly headers: { get(name: string): string | null };

  constructor(
    readonly url: string,
    readonly status: number,
    head: Record<string, string | string[] | undefined>,
    private readonly body: string,
  ) {
    this.headers = {
      get: (name) => {
        const value = head[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
    };
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  get statusText(): string {
    return STATUS_CODES[this.status] ?? '';
  }

  async text(): Promise<string> {
    return this.body;
  }

  async json(): Promise<unknown> {
    return JSON.parse(this.body);
  }
}

export type FailureListener = (subgraph: string, reason: FailureReason, message: string, requestId?: string) => void;

export interface SubgraphTransport {
  /** Builds the data source of one subgraph, honouring a configured URL override. */
  buildService(def: { name: string; url?: string }): RemoteGraphQLDataSource;
  /** Breaker state and last success of every subgraph of the supergraph. */
  health(): Record<string, SubgraphHealth>;
  /** The base URL (without `/graphql`) a subgraph is called at. */
  baseUrlOf(subgraph: string): string | undefined;
  close(): Promise<void>;
}

export interface TransportOptions {
  subgraphUrls: Record<string, string>;
  /** The policy of a subgraph (its timeout, breaker and retries). */
  policyOf: (subgraph: string) => SubgraphPolicy;
  /** Used when a request carries no deadline of its own. */
  defaultDeadlineMs: number;
  connections: number;
  /** The gateway's own key: the only one subgraphs accept client callers from. */
  signer: ServiceSigner;
  events?: GuardEvents;
  onFailure?: FailureListener;
  /** Identical queries of one caller in flight at once are sent once (`shared-calls.ts`). */
  shareIdenticalQueries: boolean;
  /** A query answered by an identical one of the same caller already in flight. */
  onShared?: (subgraph: string) => void;
}

/**
 * All subgraph HTTP goes through one undici Agent (a keep-alive pool per subgraph origin) and,
 * per subgraph, a guard that bounds every call by the request's deadline and the subgraph's
 * timeout and fails fast while the subgraph's breaker is open.
 */
export function createSubgraphTransport(options: TransportOptions): SubgraphTransport {
  const agent = new Agent({ connections: options.connections, keepAliveTimeout: 30_000 });
  const guards = new Map<string, SubgraphGuard>();
  const urls = new Map<string, string>();
  const shared = new SharedCalls();
  const guardOf = (name: string) => {
    let guard = guards.get(name);
    if (!guard) guards.set(name, (guard = new SubgraphGuard(name, options.policyOf(name), options.events)));
    return guard;
  };
  // Each subgraph's fetcher signs an envelope for that subgraph, bound to the exact body sent.
  const fetcherFor = (audience: string) =>
    (async (url: string, init: Parameters<Fetcher>[1] = {}) => {
      // Header names lower-cased, as HTTP/1.1 sends them anyway.
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries((init.headers ?? {}) as Record<string, string>)) headers[name.toLowerCase()] = value;
      const pending = headers[PENDING_CALLER_HEADER];
      const deadlineAt = Number(headers[PENDING_DEADLINE_HEADER]) || Date.now() + options.defaultDeadlineMs;
      const idempotent = headers[PENDING_MUTATION_HEADER] === undefined;
      for (const h of [PENDING_CALLER_HEADER, PENDING_DEADLINE_HEADER, PENDING_MUTATION_HEADER]) delete headers[h];
      const target = new URL(url);
      const method = init.method ?? 'POST';
      const body = typeof init.body === 'string' ? init.body : '';
      // Decoded only for the call that is sent: a query waiting on an identical one signs nothing.
      const call = async (): Promise<SharedAnswer> => {
        const caller = pending ? JSON.parse(Buffer.from(pending, 'base64url').toString()) : anonymous;
        headers[ENVELOPE_HEADER] = await signEnvelope(await options.signer.current(), options.signer.service, caller, {
          audience,
          method,
          path: target.pathname + target.search,
          body,
        });
        const send = async (signal: AbortSignal): Promise<SharedAnswer> => {
          const res = await agent.request({ origin: target.origin, path: target.pathname + target.search, method: method as 'POST', headers, body, signal });
          // The body is read under the same timeout: headers sent and then a stall is a timeout too.
          return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
        };
        return tracedCall(`subgraph ${audience}`, { 'hutong.subgraph': audience }, (traceHeaders) => {
          for (const [name, value] of Object.entries(traceHeaders)) headers[name.toLowerCase()] = value;
          return guardOf(audience).call(send, { deadlineAt, idempotent });
        });
      };
      const answer = await (options.shareIdenticalQueries && idempotent
        ? shared.run(sharedCallKey(audience, url, pending ?? 'anonymous', body), deadlineAt, call, () => options.onShared?.(audience))
        : call());
      return new SubgraphResponse(url, answer.status, answer.headers, answer.body);
    }) as unknown as Fetcher;
  return {
    buildService({ name, url }) {
      guardOf(name); // known to readiness before its first call
      const target = options.subgraphUrls[name] ?? url;
      if (target) urls.set(name, target);
      const source = new SubgraphDataSource(name, { url: target, fetcher: fetcherFor(name) });
      source.onFailure = options.onFailure;
      return source;
    },
    health: () => Object.fromEntries([...guards].map(([name, guard]) => [name, guard.state()])),
    baseUrlOf: (name) => urls.get(name)?.replace(/\/graphql\/?$/, ''),
    close: () => agent.close(),
  };
}
