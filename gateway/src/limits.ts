import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { Caller } from '../../subgraphs/kit/auth/caller.js';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { ipKeyGenerator, rateLimit, type Store } from 'express-rate-limit';

export interface LimitsConfig {
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  maxTokens: number;
  maxCost: number;
  rateLimitPerMinute: number;
}

/**
 * Limits on what one operation may ask: depth, aliases, directives, tokens and cost, checked
 * before execution (graphql-armor), and no suggestions of field names in errors. Batched HTTP
 * requests stay off: one operation per request.
 */
export function operationLimits(config: LimitsConfig): {
  plugins: ApolloServerPlugin[];
  validationRules: ReturnType<ApolloArmor['protect']>['validationRules'];
  parseOptions: { maxTokens: number };
} {
  const armor = new ApolloArmor({
    // Introspection counts too: GraphiQL's own introspection query is 15 deep.
    maxDepth: { n: config.maxDepth, ignoreIntrospection: false, flattenFragments: true },
    maxAliases: { n: config.maxAliases },
    maxDirectives: { n: config.maxDirectives },
    // Tokens are limited by graphql-js's own parser (see parseOptions): armor's token plugin
    // turns every syntax error into an HTTP 500.
    maxTokens: { enabled: false },
    costLimit: { maxCost: config.maxCost, objectCost: 2, scalarCost: 1, depthCostFactor: 1.5, ignoreIntrospection: true },
    blockFieldSuggestion: { enabled: true },
  });
  const { plugins, validationRules } = armor.protect();
  // graphql-armor's types come from @apollo/server's CommonJS build; the objects are the same.
  return { plugins: plugins as unknown as ApolloServerPlugin[], validationRules, parseOptions: { maxTokens: config.maxTokens } };
}

/**
 * Per-client rate limit. A client is the caller its token verified as (role and subject), or,
 * without a valid token, its address: made-up tokens cannot buy fresh allowances. Over the
 * limit: HTTP 429 with code RATE_LIMITED and a Retry-After header. With a shared `store`
 * (Redis), gateway replicas count together; if the store cannot be reached, requests go through
 * (the limit protects capacity, it is not an access control).
 */
export function rateLimiter(config: LimitsConfig, store?: Store) {
  return rateLimit({
    windowMs: 60_000,
    limit: config.rateLimitPerMinute,
    ...(store ? { store, passOnStoreError: true } : {}),
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: async (req, res) => {
      const caller = await (res.locals.caller as Promise<Caller>).catch(() => undefined);
      return caller && caller.role !== 'anonymous' ? `caller:${caller.role}:${caller.subject}` : `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`;
    },
    handler: (_req, res) => {
      res.status(429).json({
        errors: [{ message: 'Too many requests from this client; try again in a minute.', extensions: { code: 'RATE_LIMITED', requestId: res.locals.requestId } }],
      });
    },
  });
}

/** Adds the request id to every error a client receives, so support can find the log line. */
export const requestIdOnErrors: ApolloServerPlugin<{ requestId?: string }> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response, contextValue }) {
        if (response.body.kind === 'single' && response.body.singleResult.errors) {
          for (const error of response.body.singleResult.errors) {
            (error as { extensions?: Record<string, unknown> }).extensions = { ...error.extensions, requestId: contextValue.requestId };
          }
        }
      },
    };
  },
};

/**
 * Refuses, as the client's mistake (HTTP 400), operations the query planner would otherwise
 * reject with an internal error: an operation name the document does not define, and
 * subscriptions, which Hutong does not serve.
 */
export const operationShape: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation, request }) {
        if (!operation) {
          const message = request.operationName
            ? `The document has no operation named "${request.operationName.slice(0, 64)}".`
            : 'The document has several operations; say which one to run with operationName.';
          throw new GraphQLError(message, { extensions: { code: 'OPERATION_RESOLUTION_FAILURE', http: { status: 400 } } });
        }
        if (operation.operation === 'subscription') {
          throw new GraphQLError('Subscriptions are not supported; use a query or a mutation.', { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });
        }
      },
    };
  },
};
