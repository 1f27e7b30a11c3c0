import { RemoteGraphQLDataSource } from '@apollo/gateway';
import type { Fetcher } from '@apollo/utils.fetcher';
import { GraphQLError } from 'graphql';
import { Agent, fetch, Headers } from 'undici';
import { anonymous, type Caller } from '../../subgraphs/kit/auth/caller.js';
import { ENVELOPE_HEADER, signEnvelope } from '../../subgraphs/kit/auth/envelope.js';
import type { SigningKey } from '../../subgraphs/kit/auth/keys.js';
import { ErrorCode } from '../../subgraphs/kit/errors.js';
import { REQUEST_ID_HEADER } from '../../subgraphs/kit/request-context.js';

/** Carries the caller from `willSendRequest` to the fetcher, which replaces it with the signed envelope. */
const PENDING_CALLER_HEADER = 'x-hutong-pending-caller';

export interface GatewayContext {
  caller: Caller;
  requestId?: string;
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

  override willSendRequest({ request, context }: { request: { http?: { headers: { set(k: string, v: string): void } } }; context: Partial<GatewayContext> }): void {
    // Base64url: header values must be ASCII, and organisation names are Chinese.
    if (context.requestId) request.http?.headers.set(REQUEST_ID_HEADER, context.requestId);
    request.http?.headers.set(PENDING_CALLER_HEADER, Buffer.from(JSON.stringify(context.caller ?? anonymous)).toString('base64url'));
  }

  override didEncounterError(error: Error): void {
    throw new GraphQLError(`Subgraph ${this.subgraphName} could not be reached or failed; data from other subgraphs is unaffected.`, {
      originalError: error,
      extensions: { code: ErrorCode.SUBGRAPH_UNAVAILABLE, serviceName: this.subgraphName },
    });
  }
}

export interface SubgraphTransport {
  /** Builds the data source of one subgraph, honouring a configured URL override. */
  buildService(def: { name: string; url?: string }): RemoteGraphQLDataSource;
  close(): Promise<void>;
}

/**
 * All subgraph HTTP goes through one undici Agent: a keep-alive pool per subgraph origin, with
 * header and body timeouts so a stuck registry cannot hold a client request forever.
 */
export function createSubgraphTransport(options: {
  subgraphUrls: Record<string, string>;
  timeoutInMs: number;
  connections: number;
  signingKey: SigningKey;
}): SubgraphTransport {
  const agent = new Agent({
    connections: options.connections,
    keepAliveTimeout: 30_000,
    headersTimeout: options.timeoutInMs,
    bodyTimeout: options.timeoutInMs,
  });
  // Each subgraph's fetcher signs an envelope for that subgraph, bound to the exact body sent.
  const fetcherFor = (audience: string) =>
    (async (url: string, init: Parameters<Fetcher>[1] = {}) => {
      const headers = new Headers(init.headers as Record<string, string>);
      const pending = headers.get(PENDING_CALLER_HEADER);
      const caller = pending ? JSON.parse(Buffer.from(pending, 'base64url').toString()) : anonymous;
      headers.delete(PENDING_CALLER_HEADER);
      const target = new URL(url);
      headers.set(
        ENVELOPE_HEADER,
        await signEnvelope(options.signingKey, 'hutong-gateway', caller, {
          audience,
          method: init.method ?? 'POST',
          path: target.pathname + target.search,
          body: typeof init.body === 'string' ? init.body : '',
        }),
      );
      return fetch(url, { ...(init as object), headers, dispatcher: agent });
    }) as unknown as Fetcher;
  return {
    buildService({ name, url }) {
      return new SubgraphDataSource(name, { url: options.subgraphUrls[name] ?? url, fetcher: fetcherFor(name) });
    },
    close: () => agent.close(),
  };
}
