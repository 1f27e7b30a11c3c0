import { pino, stdSerializers, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { ENVELOPE_HEADER } from './auth/envelope.js';
import { currentRequestId } from './request-context.js';

export type { Logger };

/**
 * JSON logs, one line per event, that never hold personal data or tokens, so a careless log call
 * cannot leak them:
 *
 * - values under sensitive keys (holder names and codes, authorization, tokens, the envelope
 *   header, GraphQL variables, …) are replaced at any depth, in logged objects, in errors and in
 *   child bindings;
 * - strings everywhere (messages, `err.message`, `err.stack`, nested values) have citizen ID
 *   numbers, JWTs and bearer credentials masked;
 * - the finished line is masked once more, as a last net for anything pino adds by itself.
 *
 * Unified social credit codes identify organisations, not people, and are kept. Names cannot be
 * recognised inside free text: log them only under a key (which is then redacted).
 *
 * `destination` replaces standard output (tests capture lines with it).
 */
export function createLogger(
  name: string,
  level = process.env.HUTONG_LOG_LEVEL ?? 'info',
  destination?: { write(line: string): void },
): Logger {
  const options: LoggerOptions = {
    name,
    level,
    // Every line written while serving a request names it (see request-context.ts).
    mixin: () => {
      const requestId = currentRequestId();
      return requestId ? { requestId } : {};
    },
    formatters: {
      // Sees the object passed to every log call of this logger and its children (before serializers).
      log: (object) => scrubObject(object),
    },
    serializers: {
      // `formatters.log` has already turned errors into scrubbed plain objects: keep them as they
      // are (pino's own serializer would re-type them as "Object"), but scrub a stray Error.
      err: (value: unknown) => (value instanceof Error ? scrub(value, 0, walk(), false) : value),
    },
    hooks: {
      logMethod(args, method) {
        return method.apply(this, scrubArguments(args as unknown[]) as Parameters<typeof method>);
      },
      streamWrite: (line) => scrubText(line, true),
    },
  };
  const logger = destination ? pino(options, destination as DestinationStream) : pino(options);
  // pino skips `formatters.bindings` for `child(bindings)` without options, so scrub the bindings
  // here. Children are created with `Object.create(parent)` and so inherit this method.
  const child = logger.child;
  logger.child = function (this: Logger, bindings: Record<string, unknown>, childOptions?: unknown) {
    return child.call(this, scrubObject(bindings), childOptions as never);
  } as Logger['child'];
  return logger;
}

const REDACTED = '[redacted]';
const MAX_DEPTH = 10;
/** Values walked per log call at most (a logged request or socket must not walk a whole server). */
const MAX_NODES = 5_000;

/** Lower case, letters and digits only: `holder_code`, `holderCode`, `Holder-Code` are one key. */
const normalise = (key: string) => key.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Keys whose values are personal data or secrets, wherever they appear. */
const SENSITIVE_KEYS = new Set(
  [
    'holderName',
    'holderCode',
    'holder_code',
    'authorization',
    'proxy-authorization',
    'cookie',
    'set-cookie',
    'token',
    'accessToken',
    'idToken',
    'refreshToken',
    'clientToken',
    'envelope',
    ENVELOPE_HEADER,
    'password',
    'secret',
    // The verifier's member of staff who checked a credential (a person's name or staff number).
    'operator',
    // GraphQL variables and raw request bodies carry whatever a client sent (codes, names, …).
    'variables',
    'body',
    'rawBody',
    // A licence's face and the fields released to a verifier are the holder's data.
    'face',
    'faceFields',
    'releasedFields',
  ].map(normalise),
);

/** Keys that are personal data inside a holder or person (e.g. `holder.name`, `person.code`). */
const PERSON_KEYS = new Set(['name', 'code', 'address', 'birthDate', 'sex', 'number', 'legalRepresentative'].map(normalise));
/** Keys holding a holder or a person: an object under them is a person, a string their identity. */
const PERSON_CONTAINER = /^(holders?|persons?|people|citizens?|residents?|movers?|legalrepresentatives?)$/;

// GB 11643 citizen ID number: 17 digits and a check character (digit or X). Not part of a longer
// run of digits (timestamps, counters), but masked wherever else it stands, inside words too.
const ID_NUMBER = /(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])/g;
// A JWT (client token or envelope): base64url JSON header, payload and (possibly empty) signature.
const JWT = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
// A bearer credential of any shape (RFC 6750 token characters only, so JSON quotes stay intact).
const BEARER = /\b(Bearer)\s+[A-Za-z0-9._~+/=-]+/gi;
// A sensitive field printed inside a message, as GraphQL prints an invalid input object
// (`{ holderName: "…" }`) or as JSON embedded in a string (`"holderName":"…"`).
const FIELD_IN_TEXT = /\b(holderName|holderCode|holder_code|name|operator|authorization|token)("?\s*[:=]\s*)"(?:[^"\\]|\\.)*"/g;

/**
 * Masks ID numbers, JWTs, bearer credentials and quoted sensitive fields in a string. On a
 * finished JSON line (`jsonLine`), an 18-digit JSON number (after `:`, `,` or `[`) is left alone
 * so the line stays valid JSON: strings were already masked before serialisation.
 */
function scrubText(text: string, jsonLine = false): string {
  let out = text.replace(BEARER, '$1 [redacted]').replace(JWT, '[token]');
  if (!jsonLine) out = out.replace(FIELD_IN_TEXT, '$1$2"[redacted]"');
  out = out.replace(ID_NUMBER, (match, offset: number, whole: string) =>
    jsonLine && /[:,[]/.test(whole[offset - 1] ?? '') ? match : '[id-number]',
  );
  return out;
}

/** A scrubbed copy of a log object (never the original: callers' objects are not changed). */
function scrubObject(object: Record<string, unknown>): Record<string, unknown> {
  const out = scrub(object, 0, walk(), false);
  return out !== null && typeof out === 'object' && !Array.isArray(out) ? (out as Record<string, unknown>) : { value: out };
}

interface Walk {
  /** Objects on the path from the root to the current value (a repeat is a cycle). */
  ancestors: Set<object>;
  nodes: number;
}
const walk = (): Walk => ({ ancestors: new Set(), nodes: 0 });

/**
 * Walks a value (bounded depth and size, cycle-safe) into a JSON-friendly copy: errors become
 * pino's error shape (type, message, stack, own fields), sensitive keys are redacted, strings
 * masked. `person` is true inside an object that describes a holder or a person.
 */
function scrub(value: unknown, depth: number, state: Walk, person: boolean): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object') return value;
  if (state.ancestors.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (++state.nodes > MAX_NODES) return '[too large]';
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return `[${value.byteLength} bytes]`;

  let source: unknown = value;
  if (value instanceof Error) source = { ...stdSerializers.err(value) };
  else if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    source = (value as { toJSON(): unknown }).toJSON();
    if (source === null || typeof source !== 'object') return scrub(source, depth, state, person);
  }

  state.ancestors.add(value);
  try {
    if (Array.isArray(source)) return source.map((item) => scrub(item, depth + 1, state, person));
    const inPerson = person || (source as { kind?: unknown }).kind === 'citizen';
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(source as Record<string, unknown>)) {
      const k = normalise(key);
      const personal = PERSON_CONTAINER.test(k);
      if (item === undefined) continue;
      if (SENSITIVE_KEYS.has(k) || (inPerson && PERSON_KEYS.has(k)) || (personal && typeof item === 'string')) out[key] = REDACTED;
      else out[key] = scrub(item, depth + 1, state, personal);
    }
    return out;
  } finally {
    state.ancestors.delete(value);
  }
}

/**
 * The arguments of a log call: message strings and interpolation values are scrubbed (the
 * merging object is left to `formatters.log`). When pino would take the message from an error's
 * own message, a scrubbed copy is passed as the message instead.
 */
function scrubArguments(args: unknown[]): unknown[] {
  const [first, ...rest] = args;
  const tail = rest.map((arg) => scrub(arg, 0, walk(), false));
  if (typeof first === 'string') return [scrubText(first), ...tail];
  if (first !== null && typeof first === 'object' && tail[0] === undefined) {
    const message =
      first instanceof Error
        ? first.message
        : (first as { msg?: unknown }).msg === undefined
          ? (first as { err?: { message?: unknown } }).err?.message
          : undefined;
    if (typeof message === 'string') return [first, scrubText(message), ...tail.slice(1)];
  }
  return [first, ...tail];
}
