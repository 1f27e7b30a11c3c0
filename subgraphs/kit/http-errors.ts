import type { NextFunction, Request, Response } from 'express';
import type { Logger } from './logger.js';

/**
 * Last Express error handler: malformed JSON and oversized bodies get a clear 4xx; anything else
 * a 500 whose detail stays in the log. Never Express's default page, which shows stack traces.
 */
export function jsonErrorHandler(logger: Logger, service: string) {
  return (error: { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    const send = (status: number, message: string, code: string) =>
      res.status(status).json({ errors: [{ message, extensions: { code, requestId: res.locals.requestId } }] });
    if (error.type === 'entity.too.large') send(413, 'Request body is too large.', 'BAD_REQUEST');
    else if (error.type === 'entity.parse.failed') send(400, 'Request body is not valid JSON.', 'BAD_REQUEST');
    else if (error.status && error.status >= 400 && error.status < 500) send(400, 'Bad request.', 'BAD_REQUEST');
    else {
      logger.error({ err: error, requestId: res.locals.requestId }, 'request failed');
      send(500, `Internal error in ${service}.`, 'INTERNAL_SERVER_ERROR');
    }
  };
}
