/**
 * The registry contract's wire format: what a Hutong registry's catalogue feed and service API
 * accept and answer, and the bodies of its refusals. Defined once, here: the shared engine parses
 * requests with these schemas, `npm run contract:schemas` turns them into the JSON Schemas of
 * `schema/registry-contract/`, and `npm run conformance` checks any registry's answers against
 * them. The GraphQL part of the contract is `schema/registry-contract.graphql`; the prose, with the
 * status codes and the envelope rules, `schema/registry-contract.md`.
 *
 * Answers are checked as open objects: a consumer ignores members it does not know.
 */
import { z } from 'zod';
import { GATEWAY_SERVICE } from '../auth/service-keys.js';
import { catalogueSubgraph, recognitionSubgraph, statusCodes, type StatusCode } from '../reference.js';

// ---------------------------------------------------------------------------------------------
// Routes and who may call them

export const registryPaths = {
  health: '/health',
  ready: '/ready',
  graphql: '/graphql',
  feed: '/catalogue-feed',
  liveRecord: (id: string) => `/internal/credentials/${encodeURIComponent(id)}`,
  usageRecords: '/internal/usage-records',
  disputes: '/internal/disputes',
} as const;

/** The one service each route serves; every other service's envelope is refused with 403. */
export const routeCallers = {
  graphql: GATEWAY_SERVICE,
  feed: catalogueSubgraph.name,
  serviceApi: recognitionSubgraph.name,
} as const;

// ---------------------------------------------------------------------------------------------
// Shared pieces

const statusCodeList = Object.keys(statusCodes) as [StatusCode, ...StatusCode[]];
/** Status as the registry stores it (01 valid … 99 other). */
const statusCode = z.enum(statusCodeList);
/** 111 citizen, 001 organisation. Kept a string type: the engine's feed entries are typed so. */
const holderTypeCode = z.string().regex(/^(111|001)$/, 'must be 111 (citizen) or 001 (organisation)');
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD');
const timestamp = z.string().datetime();

// ---------------------------------------------------------------------------------------------
// GET /catalogue-feed?after=&limit=

export const DEFAULT_FEED_LIMIT = 1000;
export const MAX_FEED_LIMIT = 5000;
/** The 400 answer's message: what the feed accepts. */
export const FEED_QUERY_RULE = `after must be an integer ≥ 0 and limit an integer from 1 to ${MAX_FEED_LIMIT}`;

// Decimal digits only (no sign, fraction or exponent), at most 15 so the number stays exact.
const decimal = z.string().regex(/^\d{1,15}$/).transform(Number);

export const feedQuerySchema = z
  .object({
    after: decimal.default(0).describe('Sequence number already read; entries after it are served. Default 0.'),
    limit: decimal.pipe(z.number().min(1).max(MAX_FEED_LIMIT)).default(DEFAULT_FEED_LIMIT)
      .describe(`Most entries to serve, 1 to ${MAX_FEED_LIMIT}. Default ${DEFAULT_FEED_LIMIT}.`),
  })
  .describe('Query string of GET /catalogue-feed.');
export type FeedQuery = z.output<typeof feedQuerySchema>;

export const feedEntrySchema = z
  .object({
    seq: z.number().int().positive().describe('Outbox sequence number: unique and increasing within the epoch.'),
    credentialId: z.string().min(1).describe('GB/T 36904 identifier of the credential written.'),
    holderCode: z.string().min(1).describe('Citizen ID number (GB 11643) or USCC (GB 32100) of its holder.'),
    holderType: holderTypeCode.describe('111 citizen, 001 organisation.'),
    typeCode: z.string().min(1).describe('GB/T 36904 type code (21 characters).'),
    status: statusCode.describe('Status code stored with this write.'),
  })
  .describe('One outbox entry: a credential written (issued, changed, corrected), without face data.');
export type FeedEntry = z.output<typeof feedEntrySchema>;

export const feedPageSchema = z
  .object({
    entries: z.array(feedEntrySchema).describe('Entries with seq > after, in increasing seq order, at most limit of them.'),
    lastSeq: z.number().int().nonnegative().describe('seq of the last entry served, or after when none was.'),
    epoch: z.string().min(1).max(200).describe('Names the database the sequence numbers belong to; another epoch means renumbered from 1.'),
    headSeq: z.number().int().nonnegative().describe('Highest seq in the outbox (0 when empty), read after the entries.'),
  })
  .describe('Answer of GET /catalogue-feed (200).');
export type FeedPage = z.output<typeof feedPageSchema>;

// ---------------------------------------------------------------------------------------------
// GET /internal/credentials/:id

export const credentialRecordSchema = z
  .object({
    id: z.string().min(1),
    typeCode: z.string().min(1),
    serial: z.string().min(1),
    version: z.number().int().nonnegative(),
    number: z.string(),
    name: z.string(),
    issuerCode: z.string(),
    issuerName: z.string(),
    issueDate: date,
    effectiveDate: date,
    expiryDate: date.nullable().describe('null for long-term (长期) credentials.'),
    areaCode: z.string(),
    holderName: z.string(),
    holderCode: z.string(),
    holderType: z.enum(['111', '001']),
    status: statusCode.describe('Stored status code; a valid credential past expiryDate is still 01 here.'),
    face: z.record(z.string(), z.string()).describe('Type-specific face fields by key (GB/T 36903 extension).'),
    supersededBy: z.string().nullable().optional().describe('Identifier of the corrected version, if any.'),
  })
  .describe('A credential record in full, as the issuing registry holds it.');

export const liveRecordSchema = z
  .object({
    credential: credentialRecordSchema,
    openDisputes: z.array(z.object({ id: z.string().min(1), field: z.string().min(1) })).describe('Disputes still OPEN on the credential.'),
  })
  .describe('Answer of GET /internal/credentials/:id (200).');
export type LiveRecord = z.output<typeof liveRecordSchema>;

// ---------------------------------------------------------------------------------------------
// POST /internal/usage-records

/** A verification's verdicts, as the shared SDL's `Verdict` lists them. */
export const verdicts = ['ACCEPTED', 'REJECTED', 'NOT_RECOGNISED', 'INDETERMINATE'] as const;
/** Why a verification was not accepted, as the shared SDL's `VerdictReason` lists them. */
export const verdictReasons = [
  'SUSPENDED', 'REVOKED', 'CANCELLED', 'EXPIRED', 'TRANSFERRED_OUT', 'REVOKED_AS_PENALTY', 'OTHER_STATUS', 'SUPERSEDED',
  'NOT_YET_VALID', 'INVALIDATED_BY_ISSUER', 'NO_RULE', 'NOT_FOUND', 'HOLDER_CHANGED', 'ISSUING_REGISTRY_UNREACHABLE',
] as const;
/** How the holder took part, as the shared SDL's `UsageChannel` lists them. */
export const usageChannels = ['PRESENTATION_CODE', 'COUNTER_ASSISTED', 'ANNOTATED_COPY'] as const;
export type UsageChannel = (typeof usageChannels)[number];
/** Identity documents a registered counter checks, as the shared SDL's `IdentityDocumentType` lists them. */
export const identityDocumentTypes = ['RESIDENT_ID_CARD', 'TEMPORARY_RESIDENT_ID_CARD', 'HOUSEHOLD_REGISTER'] as const;

export const counterAssistanceSchema = z
  .object({
    identityDocument: z.enum(identityDocumentTypes).describe('The identity document checked in person.'),
    staffName: z.string().min(1).max(100).describe('The staff member who checked it and took the holder’s consent.'),
    staffNumber: z.string().min(1).max(64).describe('Their staff number at the counter’s organisation.'),
  })
  .describe('A counter-assisted use: the holder’s consent given in person.');
export type CounterAssistance = z.output<typeof counterAssistanceSchema>;

// The usage context's limits are the verification's (1–200 characters each): a record the
// verification accepted must never be refused here, or it would wait in the relay for ever.
export const usageRecordSchema = z
  .object({
    id: z.string().min(1).max(64).describe("The verification's id: the idempotency key."),
    credentialId: z.string().min(1).max(200),
    verifierOrg: z.string().max(18),
    verifierName: z.string().max(200),
    verifierRegion: z.string().max(64),
    operator: z.string().max(200),
    scenario: z.string().min(1).max(64).describe("The scenario's code, as recognition defines it (the graph resolves its names there)."),
    scenarioName: z.string().max(200).describe("The scenario's name in Chinese at the time of use."),
    serviceItemName: z.string().max(200),
    serviceItemCode: z.string().max(200),
    businessCaseNumber: z.string().max(200),
    releasedFields: z.array(z.string().max(64)).max(50),
    verdict: z.enum(verdicts),
    reasons: z.array(z.enum(verdictReasons)).max(20).describe('Empty when accepted.'),
    ruleId: z.string().max(64).nullable(),
    ruleVersion: z.number().int().nullable(),
    verifiedAt: timestamp,
    // Optional with defaults: a sender from before channels, and records queued then, say nothing.
    channel: z.enum(usageChannels).default('PRESENTATION_CODE').describe('How the holder took part. Default PRESENTATION_CODE.'),
    counterAssistance: counterAssistanceSchema.nullable().default(null)
      .describe('Required with COUNTER_ASSISTED; null (or absent) with PRESENTATION_CODE.'),
  })
  .refine((r) => (r.channel === 'COUNTER_ASSISTED') === (r.counterAssistance !== null), {
    message: 'counterAssistance is given exactly when channel is COUNTER_ASSISTED',
    path: ['counterAssistance'],
  })
  .describe('Body of POST /internal/usage-records: one verification of a credential (用证记录).');
/** A usage record as a sender writes it (channel and counterAssistance may be left out). */
export type UsageRecordRequest = z.input<typeof usageRecordSchema>;

export const usageRecordAnswerSchema = z
  .object({ stored: z.boolean().describe('true (201) when stored now; false (200) when a record with this id was already stored.') })
  .describe('Answer of POST /internal/usage-records (201 or 200).');

// ---------------------------------------------------------------------------------------------
// POST /internal/disputes

export const disputeRequestSchema = z
  .object({
    credentialId: z.string().min(1).max(200),
    field: z.string().min(1).max(64).describe('A metadata field name or face.<key>.'),
    claim: z.string().min(1).max(1000),
    filedByRole: z.enum(['holder', 'verifier']),
    filedBy: z.string().min(1).max(64),
  })
  .describe('Body of POST /internal/disputes: a dispute (异议) on one field of a credential.');
export type DisputeRequest = z.output<typeof disputeRequestSchema>;

export const disputeSchema = z.object({
  id: z.string().min(1),
  credentialId: z.string().min(1),
  field: z.string().min(1),
  claim: z.string(),
  filedByRole: z.string(),
  filedBy: z.string(),
  status: z.enum(['OPEN', 'CORRECTED', 'REJECTED']),
  resolution: z.string().nullable(),
  correctedId: z.string().nullable(),
  filedAt: timestamp,
  resolvedAt: timestamp.nullable(),
});

export const disputeAnswerSchema = z
  .object({ dispute: disputeSchema })
  .describe('Answer of POST /internal/disputes (201): the dispute as filed, status OPEN.');

// ---------------------------------------------------------------------------------------------
// Health, readiness and refusals

export const healthSchema = z
  .object({ status: z.literal('ok'), subgraph: z.string().min(1).describe("The registry's subgraph name.") })
  .describe('Answer of GET /health (200), without an envelope.');

export const readySchema = z
  .object({ status: z.enum(['ready', 'unavailable']), subgraph: z.string().min(1) })
  .describe('Answer of GET /ready, without an envelope: 200 ready, 503 unavailable.');

/** The feed's and the service API's own refusals (400, 404, 503). */
export const serviceErrorSchema = z
  .object({ error: z.string().min(1).describe('What was wrong, in a sentence; never personal data.') })
  .describe('Body of a 400, 404 or 503 answer of the feed or the service API.');

/** Refusals before a route is reached (401, 403) and malformed bodies, in GraphQL's error shape. */
export const refusalSchema = z
  .object({
    errors: z
      .array(
        z.object({
          message: z.string().min(1),
          extensions: z.object({
            code: z.string().min(1).describe('UNAUTHENTICATED (401), FORBIDDEN (403), BAD_REQUEST (400, 413), INTERNAL_SERVER_ERROR (500).'),
            requestId: z.string().optional(),
          }),
        }),
      )
      .min(1),
  })
  .describe('Body of a 401 or 403 answer on any route, and of a 400/413 for a body that is not JSON or too large.');

// ---------------------------------------------------------------------------------------------
// JSON Schemas

/** Each schema of the contract by its file name under `schema/registry-contract/`. */
const published = {
  'feed-query': feedQuerySchema,
  'feed-page': feedPageSchema,
  'live-record': liveRecordSchema,
  'usage-record': usageRecordSchema,
  'usage-record-answer': usageRecordAnswerSchema,
  'dispute-request': disputeRequestSchema,
  'dispute-answer': disputeAnswerSchema,
  health: healthSchema,
  ready: readySchema,
  'service-error': serviceErrorSchema,
  refusal: refusalSchema,
} as const;

/**
 * The JSON Schemas (draft 2020-12) of the contract, by file name. Rendered as inputs: the feed
 * query's defaults make its members optional, and unknown members are allowed everywhere.
 */
export function contractJsonSchemas(): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    Object.entries(published).map(([name, schema]) => {
      const json = z.toJSONSchema(schema, { io: 'input' });
      return [`${name}.schema.json`, { $schema: json.$schema, title: name, ...json }];
    }),
  );
}
