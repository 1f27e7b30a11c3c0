/**
 * The comparison of `npm run bench`: a stock `@apollo/gateway` with `@apollo/server`'s standalone
 * server, default fetcher and no tuning, serving the same supergraph and subgraphs as the Hutong
 * gateway. It adds only what Hutong's subgraphs require of every request: the caller, from the
 * client's verified token, in an envelope signed with the gateway's key and bound to the exact
 * body sent (`subgraphs/kit/auth/envelope.ts`). Subgraphs that ask for no envelope ignore it.
 */
import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { createAuthenticator } from '../../gateway/src/auth.js';
import { readAccessPolicy } from '../../gateway/src/authorization.js';
import { anonymous, type Caller } from '../../subgraphs/kit/auth/caller.js';
import { DEV_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER } from '../../subgraphs/kit/auth/client-tokens.js';
import { ENVELOPE_HEADER, signEnvelope } from '../../subgraphs/kit/auth/envelope.js';
import { readFileSync } from 'node:fs';
import { loadSigningKey, type SigningKey } from '../../subgraphs/kit/auth/keys.js';
import { isMainModule } from '../../subgraphs/kit/run.js';
import { GATEWAY_SERVICE } from '../../subgraphs/kit/auth/service-keys.js';

interface StockContext {
  caller: Caller;
}

class SignedDataSource extends RemoteGraphQLDataSource<StockContext> {
  constructor(
    private readonly subgraph: string,
    private readonly key: SigningKey,
    url: string,
  ) {
    super({ url });
  }

  override async willSendRequest(options: GraphQLDataSourceProcessOptions<StockContext>): Promise<void> {
    const { request, context } = options;
    // RemoteGraphQLDataSource sends JSON.stringify({ query, ...the rest of the request but http }).
    const { http, query, ...rest } = request;
    const body = JSON.stringify({ query, ...rest });
    const url = new URL(http!.url);
    http!.headers.set(
      ENVELOPE_HEADER,
      await signEnvelope(this.key, GATEWAY_SERVICE, context.caller ?? anonymous, {
        audience: this.subgraph,
        method: 'POST',
        path: url.pathname + url.search,
        body,
      }),
    );
  }
}

export interface StockGateway {
  url: string;
  stop(): Promise<void>;
}

export async function startStockGateway(options: {
  /** A composed supergraph (access declarations are read out as the Hutong gateway does, not enforced). */
  supergraphSdl: string;
  /** Subgraph name → URL, overriding the supergraph's. */
  subgraphUrls: Record<string, string>;
  /** The gateway's signing key (the subgraphs accept client callers from it only). */
  key: SigningKey;
  clientJwksFile: string;
  /** 0 (the default): any free port. */
  port?: number;
}): Promise<StockGateway> {
  const authenticate = await createAuthenticator({ jwksFile: options.clientJwksFile, issuer: DEV_TOKEN_ISSUER, audience: DEV_TOKEN_AUDIENCE });
  const gateway = new ApolloGateway({
    supergraphSdl: readAccessPolicy(options.supergraphSdl).executableSdl,
    buildService: ({ name, url }) => new SignedDataSource(name, options.key, options.subgraphUrls[name] ?? url!),
  });
  const server = new ApolloServer<StockContext>({ gateway });
  const { url } = await startStandaloneServer(server, {
    listen: { port: options.port ?? 0, host: '127.0.0.1' },
    context: async ({ req }) => ({ caller: await authenticate(req.headers.authorization) }),
  });
  return { url, stop: () => server.stop() };
}

/** As a process of its own (`npm run bench`): the options, with the key as a file, in a JSON file. */
export interface StockGatewayJob {
  supergraphPath: string;
  subgraphUrls: Record<string, string>;
  keyFile: string;
  clientJwksFile: string;
  port: number;
}

if (isMainModule(import.meta.url)) {
  const job = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as StockGatewayJob;
  const stock = await startStockGateway({ ...job, supergraphSdl: readFileSync(job.supergraphPath, 'utf8'), key: await loadSigningKey(job.keyFile) });
  process.on('SIGTERM', () => void stock.stop().then(() => process.exit(0)));
}
