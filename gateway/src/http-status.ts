import type { ApolloServerPlugin } from '@apollo/server';
import type { Request, Response } from 'express';

/**
 * The HTTP status of every GraphQL answer the gateway gives, in one place (GraphQL over HTTP):
 *
 * - no error: 200;
 * - some data (a partial answer, `data` not null): 200, whatever the errors — the spec requires it;
 * - a refusal of the caller (`UNAUTHENTICATED` 401, `FORBIDDEN` 403, `RATE_LIMITED` 429) and
 *   nothing answered (`data` null or absent): that status, for both media types, whether the
 *   gateway refused the fields before planning or a subgraph refused during execution (e.g.
 *   `SCENARIO_NOT_REGISTERED`, presenting another holder's credential);
 * - `data` null for any other reason (bad input, a subgraph down): 200, the errors say why;
 * - no `data` at all, the request failed before execution (parse, validation, variable
 *   coercion, operation resolution, an over-limit operation, an unknown persisted query): 400
 *   with `application/graphql-response+json`, 200 with `application/json`; a server fault
 *   there: 500;
 * - a request that is no GraphQL request Hutong serves (`BAD_REQUEST`: no query, a subscription,
 *   a batch, JSON that is no request object, bytes that are not UTF-8): 400 with either media
 *   type, and HTTP's own refusals stay (405 for a mutation sent with GET, 413 for a body over
 *   the limit).
 */
export const GRAPHQL_RESPONSE_JSON = 'application/graphql-response+json';
export const APPLICATION_JSON = 'application/json';
export type ResponseMedia = typeof GRAPHQL_RESPONSE_JSON | typeof APPLICATION_JSON;

/** Refusals of the caller: their status is the same whatever the client accepts. Listed by precedence. */
export const REFUSAL_STATUS = { UNAUTHENTICATED: 401, FORBIDDEN: 403, RATE_LIMITED: 429 } as const;

/** Codes of a request that failed before execution through the client's own doing. */
const REQUEST_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT', // variable coercion
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

interface ResultShape {
  data?: unknown;
  errors?: readonly { extensions?: Record<string, unknown> }[];
}

/** The status of one GraphQL result; `preset` is a status HTTP itself decided (405 for a GET mutation). */
export function httpStatusFor(media: ResponseMedia, result: ResultShape, preset?: number): number {
  if (preset === 405) return 405;
  const errors = result.errors ?? [];
  if (errors.length === 0) return 200;
  if (result.data !== undefined && result.data !== null) return 200;
  const codes = new Set(errors.map((e) => e.extensions?.code));
  for (const [code, status] of Object.entries(REFUSAL_STATUS)) if (codes.has(code)) return status;
  if (result.data === null) return 200;
  if (![...codes].every((code) => typeof code === 'string' && REQUEST_ERROR_CODES.has(code))) return 500;
  if (codes.has('BAD_REQUEST')) return 400;
  return media === GRAPHQL_RESPONSE_JSON ? 400 : 200;
}

/**
 * The media type the answer is given in: the client's preference between the two, as Apollo
 * Server would choose it (no Accept header or `*∕*`: application/json); undefined when the
 * client accepts neither, which Apollo Server answers with 406.
 */
export function responseMediaOf(req: Request): ResponseMedia | undefined {
  const chosen = req.accepts([APPLICATION_JSON, GRAPHQL_RESPONSE_JSON]);
  return chosen === APPLICATION_JSON || chosen === GRAPHQL_RESPONSE_JSON ? chosen : undefined;
}

/**
 * Sets every GraphQL answer's status by `httpStatusFor`, and its content type to the media type
 * the status was chosen for, so the two cannot disagree.
 */
export const httpStatusPlugin: ApolloServerPlugin<{ responseMedia?: ResponseMedia }> = {
  async requestDidStart() {
    return {
      async willSendResponse({ request, response, contextValue }) {
        const media = contextValue.responseMedia;
        if (!request.http || !media || response.body.kind !== 'single') return;
        response.http.headers.set('content-type', `${media}; charset=utf-8`);
        response.http.status = httpStatusFor(media, response.body.singleResult, response.http.status);
      },
    };
  },
};

/** A refusal the gateway answers itself, outside Apollo Server: a GraphQL error body in the media type the client accepts. */
export function sendRefusal(req: Request, res: Response, status: number, message: string, extensions: Record<string, unknown>): void {
  res
    .status(status)
    .type(`${responseMediaOf(req) ?? APPLICATION_JSON}; charset=utf-8`)
    .send(JSON.stringify({ errors: [{ message, extensions: { ...extensions, requestId: res.locals.requestId } }] }));
}
