import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, type ASTVisitor, type SelectionSetNode, type ValidationContext } from 'graphql';
import type { Caller } from '../../subgraphs/kit/auth/caller.js';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { ipKeyGenerator, rateLimit, type Store } from 'express-rate-limit';
import { REFUSAL_STATUS, sendRefusal } from './http-status.js';

export interface LimitsConfig {
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  maxTokens: number;
  maxCost: number;
  rateLimitPerMinute: number;
}

/**
 * Limits on what one operation may ask: depth, aliases, directives and tokens, checked before
 * execution (graphql-armor), and no suggestions of field names in errors; its cost is cost.ts's. Batched HTTP
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
    // Cost is Hutong's own (cost.ts): it counts list sizes, with the variables, after validation.
    costLimit: { enabled: false },
    blockFieldSuggestion: { enabled: true },
  });
  const { plugins, validationRules } = armor.protect();
  // graphql-armor's types come from @apollo/server's CommonJS build; the objects are the same.
  return { plugins: plugins as unknown as ApolloServerPlugin[], validationRules: [...validationRules, introspectionOnce], parseOptions: { maxTokens: config.maxTokens } };
}

/** The introspection fields a request may ask for once each: one copy answers any client. */
const INTROSPECTION_FIELDS = ['__schema', '__type'];
export const INTROSPECTION_REPEATED = 'INTROSPECTION_REPEATED';

/**
 * A validation rule: an operation selects `__schema`, and `__type`, at most once each, counting
 * every response key (an alias is another copy; the same key twice is merged into one answer by
 * GraphQL). Ten aliased `__schema` selections would otherwise make one small request answer
 * with ten copies of the schema. They are allowed on the query root only, so only the root
 * selections (through fragments) are looked at; each fragment is read once.
 */
export function introspectionOnce(context: ValidationContext): ASTVisitor {
  const ofFragment = new Map<string, Map<string, Set<string>>>();
  const keysIn = (selectionSet: SelectionSetNode, reading: Set<string>): Map<string, Set<string>> => {
    const found = new Map<string, Set<string>>(INTROSPECTION_FIELDS.map((f) => [f, new Set<string>()]));
    const add = (from: Map<string, Set<string>>) => {
      for (const [field, keys] of from) for (const key of keys) found.get(field)!.add(key);
    };
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (INTROSPECTION_FIELDS.includes(selection.name.value)) found.get(selection.name.value)!.add(selection.alias?.value ?? selection.name.value);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) add(keysIn(selection.selectionSet, reading));
      else {
        const name = selection.name.value;
        if (reading.has(name)) continue; // a cycle: refused by graphql's own rule
        let keys = ofFragment.get(name);
        if (!keys) {
          const fragment = context.getFragment(name);
          if (!fragment) continue;
          keys = keysIn(fragment.selectionSet, new Set([...reading, name]));
          ofFragment.set(name, keys);
        }
        add(keys);
      }
    }
    return found;
  };
  return {
    OperationDefinition(operation) {
      for (const [field, keys] of keysIn(operation.selectionSet, new Set())) {
        if (keys.size <= 1) continue;
        context.reportError(
          new GraphQLError(`An operation may select ${field} once; this one selects it ${keys.size} times (${[...keys].slice(0, 5).join(', ')}). Ask once and reuse the answer.`, {
            nodes: operation,
            extensions: { reason: INTROSPECTION_REPEATED },
          }),
        );
      }
    },
  };
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
    handler: (req, res) => {
      sendRefusal(req, res, REFUSAL_STATUS.RATE_LIMITED, 'Too many requests from this client; try again in a minute.', { code: 'RATE_LIMITED' });
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
 * Refuses, as the client's mistake, operations the query planner would otherwise reject with an
 * internal error: an operation name the document does not define, and subscriptions, which
 * Hutong does not serve. Their 400 is Apollo Server's for a request error; over HTTP,
 * http-status.ts sets the status by media type.
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
