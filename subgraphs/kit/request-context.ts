import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

/**
 * One id per client request, from the gateway through every subgraph call it makes: the client
 * gets it (header and `extensions.requestId`), and every log line written while serving the
 * request carries it (the logger reads it from here), so support can go from an error a client
 * reports to the detail in each service's log.
 */
export const REQUEST_ID_HEADER = 'x-request-id';

const storage = new AsyncLocalStorage<{ requestId: string }>();

export const currentRequestId = (): string | undefined => storage.getStore()?.requestId;

/** Takes a well-formed incoming id (another Hutong service's, or a client's), else makes one. */
export function assignRequestId(req: Request, res: Response, next: NextFunction): void {
  const incoming = req.header(REQUEST_ID_HEADER);
  res.locals.requestId = incoming && /^[A-Za-z0-9._-]{8,64}$/.test(incoming) ? incoming : randomUUID();
  res.setHeader(REQUEST_ID_HEADER, res.locals.requestId as string);
  next();
}

/**
 * Runs the rest of the request in the id's scope. Mounted after body parsing: the parser's
 * stream callbacks do not keep the scope they were started in.
 */
export function requestScope(_req: Request, res: Response, next: NextFunction): void {
  storage.run({ requestId: res.locals.requestId as string }, next);
}
