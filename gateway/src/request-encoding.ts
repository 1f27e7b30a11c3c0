import { isUtf8 } from 'node:buffer';
import type { NextFunction, Request, Response } from 'express';
import { sendRefusal } from './http-status.js';

/**
 * GraphQL requests are UTF-8. Bytes that are not UTF-8 would be decoded into replacement
 * characters and the operation run on text the client never wrote, so they are refused (400
 * BAD_REQUEST, reason INVALID_UTF8) before anything is parsed or run. Raw bytes above 0x7F in a
 * request line never get here: Node's HTTP parser already answers them with a bare 400.
 */
export const INVALID_UTF8 = 'INVALID_UTF8';

const hex = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

/** The bytes a URL stands for once its %XX escapes are decoded; other text is kept as it is. */
export function percentDecodedBytes(url: string): Buffer {
  const raw = Buffer.from(url, 'latin1');
  const out = Buffer.alloc(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === 0x25 && i + 2 < raw.length && hex(raw[i + 1]!) && hex(raw[i + 2]!)) {
      out[n++] = parseInt(raw.toString('latin1', i + 1, i + 3), 16);
      i += 2;
    } else out[n++] = raw[i]!;
  }
  return out.subarray(0, n);
}

/** Refuses a URL (a GET request's operation and variables) whose escapes decode to bytes that are not UTF-8. */
export function refuseInvalidUtf8Url(req: Request, res: Response, next: NextFunction): void {
  if (isUtf8(percentDecodedBytes(req.originalUrl))) return next();
  sendRefusal(req, res, 400, 'The URL is not valid UTF-8 once its %-escapes are decoded; GraphQL requests are UTF-8.', { code: 'BAD_REQUEST', reason: INVALID_UTF8 });
}

class InvalidUtf8Body extends Error {
  readonly type = INVALID_UTF8;
}

/**
 * `verify` for the JSON body parser: a body sent as UTF-8 (the default) must be UTF-8 before it
 * is decoded. Another declared charset is the parser's to decode.
 */
export function verifyUtf8Body(_req: unknown, _res: unknown, body: Buffer, charset: string): void {
  if (/^utf-?8$/i.test(charset) && !isUtf8(body)) throw new InvalidUtf8Body('request body is not UTF-8');
}

/** Answers the body parser's refusal of a body that is not UTF-8; other errors go on to the last handler. */
export function invalidUtf8BodyHandler(error: { type?: string }, req: Request, res: Response, next: NextFunction): void {
  if (error.type !== INVALID_UTF8) return next(error);
  sendRefusal(req, res, 400, 'The request body is not valid UTF-8; GraphQL requests are UTF-8 encoded JSON.', { code: 'BAD_REQUEST', reason: INVALID_UTF8 });
}
