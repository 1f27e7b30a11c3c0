/**
 * A subgraph's `/graphql`: graphql-js run straight over the subgraph schema, for its one caller,
 * the gateway, which sends one kind of request: a POST of JSON with one operation, signed. Apollo
 * Server's HTTP pipeline around the same execution (content negotiation, plugin hooks, header
 * maps, response building) was 6–8 % of a subgraph's CPU in profiles of `npm run bench`.
 *
 * What it answers, as Apollo Server did for `application/json`: 200 with `data` and field errors;
 * 400 with GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, OPERATION_RESOLUTION_FAILURE
 * (operation not in the document), BAD_USER_INPUT (variables that do not fit) or BAD_REQUEST (no
 * query, variables not an object); 405 for any other method. Errors pass through the subgraph's
 * mask, so what is not meant for clients leaves only an error id.
 */
import { createRequire } from 'node:module';
import type { DocumentNode, ExecutionResult, GraphQLError, GraphQLFormattedError, GraphQLSchema } from 'graphql';
import type { NextFunction, Request, Response } from 'express';
import type { Caller } from './auth/caller.js';
import { BoundedMap } from './bounded-map.js';
import { ErrorCode } from './errors.js';

// The graphql build that @apollo/subgraph made the schema with (its CommonJS one): graphql-js
// refuses a schema from another copy of itself, and test runners may load the ES module build.
const graphql = createRequire(import.meta.url)('graphql') as typeof import('graphql');

export interface GraphqlHandlerOptions<TContext> {
  schema: GraphQLSchema;
  /** The per-request context for the caller the envelope names. */
  context: (caller: Caller) => TContext;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** Told the code of every error answered (metrics). */
  onError?: (code: string) => void;
  /** Parsed and validated documents kept, by query text: the gateway's query plans repeat a few. */
  maxDocuments?: number;
}

type Prepared = { document: DocumentNode } | { status: 400; code: string; errors: readonly GraphQLError[] };

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export function graphqlHandler<TContext>(options: GraphqlHandlerOptions<TContext>) {
  const documents = new BoundedMap<string, Prepared>(options.maxDocuments ?? 500);

  const prepare = (query: string): Prepared => {
    const cached = documents.get(query);
    if (cached) return cached;
    let prepared: Prepared;
    try {
      const document = graphql.parse(query);
      const errors = graphql.validate(options.schema, document);
      prepared = errors.length ? { status: 400, code: ErrorCode.GRAPHQL_VALIDATION_FAILED, errors } : { document };
    } catch (error) {
      prepared = { status: 400, code: ErrorCode.GRAPHQL_PARSE_FAILED, errors: [error as GraphQLError] };
    }
    documents.set(query, prepared);
    return prepared;
  };

  const format = (errors: readonly GraphQLError[], code?: string): GraphQLFormattedError[] =>
    errors.map((error) => {
      const formatted = error.toJSON();
      const shown = options.formatError(code ? { ...formatted, extensions: { ...formatted.extensions, code } } : formatted, error);
      options.onError?.(typeof shown.extensions?.code === 'string' ? shown.extensions.code : 'UNKNOWN');
      return shown;
    });

  const send = (res: Response, status: number, body: ExecutionResult | { errors: GraphQLFormattedError[] }) => {
    const text = JSON.stringify(body);
    res.statusCode = status;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.setHeader('content-length', Buffer.byteLength(text));
    res.end(text);
  };
  const refuse = (res: Response, message: string, code: string, status = 400) =>
    send(res, status, { errors: format([new graphql.GraphQLError(message)], code) });

  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return refuse(res, 'Subgraphs answer POST only.', ErrorCode.BAD_REQUEST, 405);
    }
    try {
      const body: unknown = req.body;
      if (!isPlainObject(body) || typeof body.query !== 'string' || body.query === '') return refuse(res, 'The body must be a JSON object with the operation in `query`.', ErrorCode.BAD_REQUEST);
      const { query, variables, operationName } = body;
      if (variables != null && !isPlainObject(variables)) return refuse(res, '`variables` must be an object.', ErrorCode.BAD_REQUEST);
      if (operationName != null && typeof operationName !== 'string') return refuse(res, '`operationName` must be a string.', ErrorCode.BAD_REQUEST);
      const prepared = prepare(query);
      if (!('document' in prepared)) return send(res, prepared.status, { errors: format(prepared.errors, prepared.code) });
      if (!graphql.getOperationAST(prepared.document, operationName ?? undefined)) {
        return refuse(res, operationName ? `Unknown operation named "${operationName}".` : 'The document must name the operation to run.', ErrorCode.OPERATION_RESOLUTION_FAILURE);
      }
      const result = await graphql.execute({
        schema: options.schema,
        document: prepared.document,
        variableValues: variables ?? undefined,
        operationName: operationName ?? undefined,
        contextValue: options.context(res.locals.caller as Caller),
      });
      // No `data` at all: the variables did not fit the operation, nothing ran.
      if (!('data' in result)) return send(res, 400, { errors: format(result.errors ?? [], ErrorCode.BAD_USER_INPUT) });
      send(res, 200, result.errors?.length ? { errors: format(result.errors), data: result.data } : { data: result.data });
    } catch (error) {
      next(error);
    }
  };
}
