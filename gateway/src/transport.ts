import { RemoteGraphQLDataSource } from '@apollo/gateway';
import type { Fetcher } from '@apollo/utils.fetcher';
import { GraphQLError } from 'graphql';
import { Agent, fetch } from 'undici';
import { ErrorCode } from '../../subgraphs/kit/errors.js';

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
}): SubgraphTransport {
  const agent = new Agent({
    connections: options.connections,
    keepAliveTimeout: 30_000,
    headersTimeout: options.timeoutInMs,
    bodyTimeout: options.timeoutInMs,
  });
  const fetcher = ((url: string, init?: Parameters<Fetcher>[1]) =>
    fetch(url, { ...(init as object), dispatcher: agent })) as unknown as Fetcher;
  return {
    buildService({ name, url }) {
      return new SubgraphDataSource(name, { url: options.subgraphUrls[name] ?? url, fetcher });
    },
    close: () => agent.close(),
  };
}
