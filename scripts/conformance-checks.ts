/**
 * The registry conformance suite: checks a running registry, built on Hutong's registry engine or
 * not, against the registry contract (`schema/registry-contract.md`, `.graphql`, and the wire
 * format of `subgraphs/kit/registry/contract.ts`) over HTTP only, as the gateway, the catalogue and
 * recognition would call it. Used by `npm run conformance` and by the tests of every region.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  Kind,
  parse,
  print,
  type ConstDirectiveNode,
  type DocumentNode,
  type FieldDefinitionNode,
  type TypeNode,
} from 'graphql';
import type { z } from 'zod';
import type { Caller } from '../subgraphs/kit/auth/caller.js';
import { ENVELOPE_HEADER, signEnvelope } from '../subgraphs/kit/auth/envelope.js';
import { devKeyFiles, loadSigningKey, type SigningKey } from '../subgraphs/kit/auth/keys.js';
import { allowedPrincipals, readRequirement, type Principal, type ScopeRequirement } from '../subgraphs/kit/auth/scopes.js';
import { buildLicenceId, parseLicenceId } from '../subgraphs/kit/identifiers/index.js';
import { regions } from '../subgraphs/kit/reference.js';
import {
  disputeAnswerSchema,
  feedEntrySchema,
  feedPageSchema,
  healthSchema,
  liveRecordSchema,
  MAX_FEED_LIMIT,
  readySchema,
  refusalSchema,
  registryPaths,
  routeCallers,
  serviceErrorSchema,
  usageRecordAnswerSchema,
  type FeedPage,
  type FeedEntry,
  type UsageRecordRequest,
} from '../subgraphs/kit/registry/contract.js';

export const contractSdlPath = path.resolve(import.meta.dirname, '..', 'schema', 'registry-contract.graphql');
/** The contract's stand-in for a region's type prefix. */
const PREFIX = 'Prefix';

export interface ConformanceOptions {
  /** The registry's base URL, e.g. `http://127.0.0.1:4004`. */
  url: string;
  /** Its subgraph name: the audience of every envelope, and its Region entity's code. */
  subgraph: string;
  /** Its GraphQL type prefix; by default the one `regions` gives, else read from its SDL. */
  typePrefix?: string;
  /** A folder of service keys (`data/keys`): `services/<name>.json` of gateway, catalogue, recognition and the registry. */
  keysFolder?: string;
  /** Or the keys themselves, by the service each speaks for. */
  signers?: Partial<Record<string, SigningKey>>;
  /** Also write: one usage record (twice) and one dispute on a credential the feed names. */
  writes: boolean;
  /** Longest wait for one answer; default 10 s. */
  timeoutMs?: number;
}

export interface Check {
  name: string;
  ok: boolean;
  /** What was seen: on failure, what differs from the contract. */
  detail: string;
}

export interface ConformanceReport {
  subgraph: string;
  checks: Check[];
}

/** A way the registry differs from the contract (anything else thrown is reported as an error). */
class Failure extends Error {}
function fail(message: string): never {
  throw new Failure(message);
}

interface Answer {
  status: number;
  body: unknown;
}

/** The caller the suite's GraphQL requests carry: an auditor may read any record (masked). */
const auditor: Caller = { role: 'admin', subject: 'hutong-conformance' };

const issues = (error: z.ZodError) =>
  error.issues.slice(0, 3).map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');

function conformsTo<S extends z.ZodType>(schema: S, body: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) fail(`${what} does not match the contract: ${issues(parsed.error)}`);
  return parsed.data as z.output<S>;
}

const cut = (text: string) => (text.length > 200 ? `${text.slice(0, 200)}…` : text);

/**
 * An answer as a detail shows it: refusals and errors in full, anything else by its members only,
 * since a registry's answers carry personal data (holder codes, names) that a report must not.
 */
function shown(body: unknown): string {
  if (body === undefined || body === '') return '(no body)';
  if (typeof body === 'string') return `non-JSON text (${body.length} characters)`;
  if (Array.isArray(body)) return `a list of ${body.length}`;
  if (typeof body !== 'object' || body === null) return JSON.stringify(body);
  const { error, errors } = body as { error?: unknown; errors?: unknown };
  if (error !== undefined || errors !== undefined) return cut(JSON.stringify(error !== undefined ? { error } : { errors }));
  return `an object with ${Object.keys(body).join(', ') || 'no members'}`;
}

function expectStatus(answer: Answer, expected: number, what: string): void {
  if (answer.status !== expected) fail(`${what} answered ${answer.status}, not ${expected}: ${shown(answer.body)}`);
}

/** A refusal before the route: its status, GraphQL's error shape, and the code. */
function expectRefusal(answer: Answer, status: 401 | 403, what: string): string {
  expectStatus(answer, status, what);
  const code = status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN';
  const body = conformsTo(refusalSchema, answer.body, `the ${status} body`);
  const got = body.errors[0]!.extensions.code;
  if (got !== code) fail(`the ${status} body's code is ${got}, not ${code}`);
  return `${status} ${code}: ${body.errors[0]!.message}`;
}

export async function runConformance(options: ConformanceOptions): Promise<ConformanceReport> {
  const base = options.url.replace(/\/+$/, '');
  const { subgraph } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const signers = options.signers ?? (await signersFrom(options.keysFolder, subgraph));
  const checks: Check[] = [];

  async function check(name: string, run: () => Promise<string>): Promise<void> {
    try {
      checks.push({ name, ok: true, detail: await run() });
    } catch (error) {
      checks.push({ name, ok: false, detail: error instanceof Failure ? error.message : `error: ${(error as Error).message}` });
    }
  }

  function keyOf(service: string): SigningKey {
    return signers[service] ?? fail(`no signing key of ${service}${options.keysFolder ? ` in ${options.keysFolder}` : ''}`);
  }

  async function envelope(
    service: string,
    req: { method: string; path: string; body?: string; audience?: string; key?: SigningKey; caller?: Caller },
  ): Promise<string> {
    return signEnvelope(req.key ?? keyOf(service), service, req.caller ?? auditor, {
      audience: req.audience ?? subgraph,
      method: req.method,
      path: req.path,
      body: req.body ?? '',
    });
  }

  async function send(method: 'GET' | 'POST', pathAndQuery: string, req: { body?: string; envelope?: string } = {}): Promise<Answer> {
    let res: Response;
    try {
      res = await fetch(`${base}${pathAndQuery}`, {
        method,
        headers: {
          ...(req.envelope ? { [ENVELOPE_HEADER]: req.envelope } : {}),
          ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: req.body,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: Error }).cause?.message;
      return fail(`${method} ${pathAndQuery} could not be reached: ${(error as Error).message}${cause ? ` (${cause})` : ''}`);
    }
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON: kept as text, which no schema of the contract accepts.
    }
    return { status: res.status, body };
  }

  /** A request signed by `service` (its own key unless `key` is given). */
  async function signed(service: string, method: 'GET' | 'POST', pathAndQuery: string, json?: unknown, extra: { key?: SigningKey; caller?: Caller } = {}) {
    const body = json === undefined ? undefined : JSON.stringify(json);
    return send(method, pathAndQuery, { body, envelope: await envelope(service, { method, path: pathAndQuery, body, ...extra }) });
  }

  async function graphql(query: string, variables: Record<string, unknown> = {}) {
    const answer = await signed(routeCallers.graphql, 'POST', registryPaths.graphql, { query, variables });
    expectStatus(answer, 200, 'POST /graphql');
    const body = answer.body as { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: { code?: string } }[] };
    if (typeof body !== 'object' || body === null) fail(`POST /graphql answered no JSON object: ${shown(answer.body)}`);
    return body;
  }

  const feedPath = (query: string) => `${registryPaths.feed}${query ? `?${query}` : ''}`;
  const graphqlProbe = { query: '{ _service { sdl } }' };
  const probeId = 'hutong-conformance-probe';

  // ---- health -------------------------------------------------------------------------------
  await check('health', async () => {
    const answer = await send('GET', registryPaths.health);
    expectStatus(answer, 200, 'GET /health');
    const health = conformsTo(healthSchema, answer.body, 'GET /health');
    if (health.subgraph !== subgraph) fail(`GET /health names subgraph ${health.subgraph}, not ${subgraph}`);
    return `200, subgraph ${health.subgraph}`;
  });
  await check('ready', async () => {
    const answer = await send('GET', registryPaths.ready);
    expectStatus(answer, 200, 'GET /ready');
    conformsTo(readySchema, answer.body, 'GET /ready');
    return '200 ready';
  });

  // ---- envelopes ----------------------------------------------------------------------------
  await check('unsigned /graphql → 401', async () =>
    expectRefusal(await send('POST', registryPaths.graphql, { body: JSON.stringify(graphqlProbe) }), 401, 'POST /graphql without an envelope'));
  await check('unsigned feed → 401', async () =>
    expectRefusal(await send('GET', feedPath('after=0&limit=1')), 401, 'GET /catalogue-feed without an envelope'));
  await check('unsigned service API → 401', async () =>
    expectRefusal(await send('GET', registryPaths.liveRecord(probeId)), 401, 'GET /internal/credentials/:id without an envelope'));
  await check('replayed envelope → 401', async () => {
    const pathAndQuery = feedPath('after=0&limit=1');
    const sealed = await envelope(routeCallers.feed, { method: 'GET', path: pathAndQuery });
    expectStatus(await send('GET', pathAndQuery, { envelope: sealed }), 200, 'the first use of a catalogue envelope on the feed');
    return expectRefusal(await send('GET', pathAndQuery, { envelope: sealed }), 401, 'the same envelope sent again');
  });
  await check('envelope for another subgraph → 401', async () => {
    const pathAndQuery = feedPath('after=0&limit=1');
    const sealed = await envelope(routeCallers.feed, { method: 'GET', path: pathAndQuery, audience: 'catalogue' });
    return expectRefusal(await send('GET', pathAndQuery, { envelope: sealed }), 401, 'an envelope made for the catalogue');
  });
  await check('envelope for another request → 401', async () => {
    const sealed = await envelope(routeCallers.feed, { method: 'GET', path: feedPath('after=0&limit=1') });
    return expectRefusal(await send('GET', feedPath('after=0&limit=2'), { envelope: sealed }), 401, 'an envelope made for ?limit=1 sent with ?limit=2');
  });
  await check('key naming another service → 401', async () => {
    // A key the registry knows, bound to another service, naming the gateway.
    const owner = signers[subgraph] ? subgraph : routeCallers.feed;
    const body = JSON.stringify(graphqlProbe);
    const sealed = await envelope(routeCallers.graphql, { method: 'POST', path: registryPaths.graphql, body, key: keyOf(owner) });
    const detail = expectRefusal(await send('POST', registryPaths.graphql, { body, envelope: sealed }), 401, `${owner}'s key naming gateway on /graphql`);
    return `${owner}'s key: ${detail}`;
  });

  // ---- which service each route serves ------------------------------------------------------
  const refusedTo = async (service: string, method: 'GET' | 'POST', pathAndQuery: string, json?: unknown) =>
    expectRefusal(await signed(service, method, pathAndQuery, json), 403, `${method} ${pathAndQuery.split('?')[0]} signed by ${service}`);
  await check('/graphql refuses catalogue → 403', () => refusedTo('catalogue', 'POST', registryPaths.graphql, graphqlProbe));
  await check('/graphql refuses recognition → 403', () => refusedTo('recognition', 'POST', registryPaths.graphql, graphqlProbe));
  await check('feed refuses gateway → 403', () => refusedTo('gateway', 'GET', feedPath('after=0&limit=1')));
  await check('feed refuses recognition → 403', () => refusedTo('recognition', 'GET', feedPath('after=0&limit=1')));
  await check('service API refuses catalogue → 403', () => refusedTo('catalogue', 'GET', registryPaths.liveRecord(probeId)));
  await check('service API refuses gateway → 403', () => refusedTo('gateway', 'GET', registryPaths.liveRecord(probeId)));

  // ---- the SDL ------------------------------------------------------------------------------
  const contractSdl = indexSdl(parse(readFileSync(contractSdlPath, 'utf8')));
  let sdl: SdlIndex | undefined;
  let sdlError = 'the SDL could not be read';
  try {
    const body = await graphql('{ _service { sdl } }');
    const text = (body.data?._service as { sdl?: unknown } | undefined)?.sdl;
    if (typeof text !== 'string') fail(`_service { sdl } answered no SDL: ${shown(body)}`);
    sdl = indexSdl(parse(text as string));
  } catch (error) {
    sdlError = `_service { sdl }: ${(error as Error).message}`;
  }
  const typePrefix = options.typePrefix ?? regions.find((r) => r.code === subgraph)?.typePrefix ?? (sdl && inferPrefix(sdl));
  const implName = (contractName: string) => (contractName.startsWith(PREFIX) ? `${typePrefix}${contractName.slice(PREFIX.length)}` : contractName);
  const needSdl = (): SdlIndex => {
    if (!sdl) fail(sdlError);
    if (!typePrefix) fail('the type prefix is unknown: no type ending in Credential carries @key(fields: "id")');
    return sdl!;
  };

  await check('sdl: credential entity', async () => entityConforms(contractSdl, needSdl(), `${PREFIX}Credential`, 'id', implName));
  await check('sdl: region entity', async () => entityConforms(contractSdl, needSdl(), `${PREFIX}Region`, 'code', implName));
  await check('sdl: shared types', async () => sharedTypesConform(contractSdl, needSdl(), implName));
  await check('sdl: access declarations', async () => accessConforms(contractSdl, needSdl(), implName));

  // ---- the catalogue feed -------------------------------------------------------------------
  let first: FeedPage | undefined;
  // The credential the later checks use: taken from the first entry even when the page around it
  // breaks the contract, so a faulty page fails the feed checks only.
  let sampleEntry: FeedEntry | undefined;
  const readFeed = async (query: string): Promise<FeedPage> => {
    const answer = await signed(routeCallers.feed, 'GET', feedPath(query));
    expectStatus(answer, 200, `GET /catalogue-feed?${query}`);
    const entry = feedEntrySchema.safeParse((answer.body as { entries?: unknown[] } | undefined)?.entries?.[0]);
    if (entry.success) sampleEntry ??= entry.data;
    return conformsTo(feedPageSchema, answer.body, `the page of ?${query}`);
  };
  await check('feed: page', async () => {
    const limit = 2;
    const page = await readFeed(`after=0&limit=${limit}`);
    pageFollows(page, 0, limit);
    if (page.entries.length === 0) fail('the feed is empty: the suite needs a registry that holds at least one credential');
    first = page;
    return `${page.entries.length} entries, seq ${page.entries.map((e) => e.seq).join(', ')}, lastSeq ${page.lastSeq}, headSeq ${page.headSeq}, epoch ${page.epoch}`;
  });
  await check('feed: paging', async () => {
    const start = first ?? fail('no first page to continue from');
    const next = await readFeed(`after=${start.lastSeq}&limit=3`);
    pageFollows(next, start.lastSeq, 3);
    if (next.epoch !== start.epoch) fail(`the epoch changed between two pages: ${start.epoch}, then ${next.epoch}`);
    if (next.headSeq < start.headSeq) fail(`headSeq went down between two pages: ${start.headSeq}, then ${next.headSeq}`);
    const end = await readFeed(`after=${next.headSeq}`);
    if (end.entries.length !== 0 || end.lastSeq !== next.headSeq) {
      fail(`after=headSeq (${next.headSeq}) answered ${end.entries.length} entries and lastSeq ${end.lastSeq}, not none and ${next.headSeq}`);
    }
    const whole = await readFeed('');
    pageFollows(whole, 0, 1000);
    return `after ${start.lastSeq}: ${next.entries.length} entries; after headSeq ${next.headSeq}: none; no query: ${whole.entries.length} entries`;
  });
  await check('feed: bad after/limit → 400', async () => {
    const bad = ['after=-1', 'after=abc', 'after=1.5', 'limit=0', `limit=${MAX_FEED_LIMIT + 1}`, 'limit=1e3'];
    for (const query of bad) {
      const answer = await signed(routeCallers.feed, 'GET', feedPath(query));
      expectStatus(answer, 400, `GET /catalogue-feed?${query}`);
      conformsTo(serviceErrorSchema, answer.body, `the 400 body of ?${query}`);
    }
    return `400 for ${bad.join(', ')}`;
  });

  // ---- _entities ----------------------------------------------------------------------------
  const sample = () => sampleEntry ?? fail('no credential to try: the feed named none');
  const credentialType = `${PREFIX}Credential`;
  const entitiesQuery = (contractType: string) =>
    `query($representations: [_Any!]!) { _entities(representations: $representations) { __typename ... on ${implName(contractType)} ${selection(contractSdl, contractType)} } }`;
  let entityStatusCode: string | undefined;

  await check('entities: credential', async () => {
    const entry = sample();
    needSdl();
    const body = await graphql(entitiesQuery(credentialType), { representations: [{ __typename: implName(credentialType), id: entry.credentialId }] });
    if (body.errors?.length) fail(`_entities answered errors: ${shown({ errors: body.errors })}`);
    const entity = (body.data?._entities as Record<string, unknown>[] | undefined)?.[0];
    if (!entity) fail(`_entities answered no credential for ${entry.credentialId}: ${shown(body)}`);
    const record = entity as Record<string, unknown>;
    if (record.__typename !== implName(credentialType)) fail(`__typename is ${String(record.__typename)}, not ${implName(credentialType)}`);
    const problems = valueProblems(contractSdl, record, { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: credentialType } }, 'credential');
    if (problems.length) fail(problems.slice(0, 5).join('; '));
    if (record.id !== entry.credentialId) fail(`id is ${String(record.id)}, not ${entry.credentialId}`);
    if (record.typeCode !== entry.typeCode) fail(`typeCode is ${String(record.typeCode)}, but the feed says ${entry.typeCode}`);
    const holderType = entry.holderType === '111' ? 'CITIZEN' : 'ORGANISATION';
    if (record.holderType !== holderType) fail(`holderType is ${String(record.holderType)}, but the feed says ${entry.holderType} (${holderType})`);
    entityStatusCode = record.statusCode as string;
    return `${entry.credentialId}: every contract field, status ${String(record.status)}`;
  });
  await check('entities: unknown credential → NOT_FOUND', async () => {
    needSdl();
    const unknown = unknownId(sample().credentialId);
    const body = await graphql(entitiesQuery(credentialType), { representations: [{ __typename: implName(credentialType), id: unknown }] });
    const entities = body.data?._entities as unknown[] | undefined;
    if (!Array.isArray(entities) || entities.length !== 1 || entities[0] !== null) fail(`_entities should answer [null] for ${unknown}: ${shown(body.data)}`);
    const code = body.errors?.[0]?.extensions?.code;
    if (code !== 'NOT_FOUND') fail(`the error's code is ${String(code)}, not NOT_FOUND: ${shown({ errors: body.errors })}`);
    return `${unknown}: null, ${body.errors![0]!.message}`;
  });
  await check('entities: usage record and dispute pages', async () => {
    const entry = sample();
    needSdl();
    type Page = { nodes: { id: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null }; totalCount: number };
    const page = async (field: string, args: string) => {
      const body = await graphql(
        `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on ${implName(credentialType)} { ${field}(${args}) { nodes { id } pageInfo { hasNextPage endCursor } totalCount } } } }`,
        { representations: [{ __typename: implName(credentialType), id: entry.credentialId }] },
      );
      return { body, page: (body.data?._entities as Record<string, Page>[] | undefined)?.[0]?.[field] };
    };
    const seen: string[] = [];
    for (const field of ['usageRecords', 'disputes']) {
      const { body, page: one } = await page(field, 'first: 1');
      if (body.errors?.length || !one) fail(`${field}(first: 1) answered ${shown(body)}`);
      const { nodes, pageInfo, totalCount } = one!;
      if (nodes.length > 1) fail(`${field}(first: 1) answered ${nodes.length} nodes`);
      if (pageInfo.hasNextPage !== totalCount > 1) fail(`${field}(first: 1): hasNextPage is ${pageInfo.hasNextPage} with totalCount ${totalCount}`);
      if ((pageInfo.endCursor === null) !== (nodes.length === 0)) fail(`${field}(first: 1): endCursor ${pageInfo.endCursor === null ? 'null' : 'set'} on a page of ${nodes.length}`);
      if (pageInfo.hasNextPage) {
        const next = await page(field, `first: 1, after: ${JSON.stringify(pageInfo.endCursor)}`);
        const again = next.page?.nodes ?? fail(`${field} after the first page's endCursor answered ${shown(next.body)}`);
        if (again.length !== 1 || again[0]!.id === nodes[0]!.id) fail(`${field}: the second page of one does not follow the first`);
      }
      for (const [args, message] of [
        ['first: 0', 'first must be between 1 and 100 (the maximum page size); it was 0.'],
        ['first: 101', 'first must be between 1 and 100 (the maximum page size); it was 101.'],
        ['after: "not-a-cursor"', undefined],
      ] as const) {
        const { body: refused } = await page(field, args);
        const error = refused.errors?.[0];
        if (error?.extensions?.code !== 'BAD_USER_INPUT') fail(`${field}(${args}) should be refused with BAD_USER_INPUT: ${shown(refused)}`);
        if (message !== undefined && error!.message !== message) fail(`${field}(${args}) is refused with "${error!.message}", not "${message}"`);
      }
      seen.push(`${field}: ${totalCount} in all`);
    }
    return `${seen.join(', ')}; first: 0, first: 101 and a foreign after refused with BAD_USER_INPUT`;
  });
  await check('entities: region', async () => {
    needSdl();
    const regionType = `${PREFIX}Region`;
    const body = await graphql(entitiesQuery(regionType), { representations: [{ __typename: implName(regionType), code: subgraph }] });
    if (body.errors?.length) fail(`_entities answered errors: ${shown({ errors: body.errors })}`);
    const region = (body.data?._entities as Record<string, unknown>[] | undefined)?.[0] ?? fail(`no region entity: ${shown(body.data)}`);
    const problems = valueProblems(contractSdl, region, { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: regionType } }, 'region');
    if (problems.length) fail(problems.slice(0, 5).join('; '));
    const counts = region.credentialCountByStatus as { statusCode: string; count: number }[];
    const total = counts.reduce((sum, c) => sum + c.count, 0);
    if (region.code !== subgraph) fail(`code is ${String(region.code)}, not ${subgraph}`);
    if (total !== region.credentialCount) fail(`credentialCountByStatus adds up to ${total}, credentialCount says ${String(region.credentialCount)}`);
    if (total < 1) fail('the region counts no credential, yet its feed names one');
    return `${String(region.credentialCount)} credentials: ${counts.map((c) => `${c.statusCode} ${c.count}`).join(', ')}`;
  });

  // ---- the service API ----------------------------------------------------------------------
  const liveRecord = async (id: string) => {
    const answer = await signed(routeCallers.serviceApi, 'GET', registryPaths.liveRecord(id));
    expectStatus(answer, 200, `GET /internal/credentials/${id}`);
    return conformsTo(liveRecordSchema, answer.body, 'the live record');
  };
  await check('service API: live record', async () => {
    const entry = sample();
    const live = await liveRecord(entry.credentialId);
    if (live.credential.id !== entry.credentialId) fail(`credential.id is ${live.credential.id}, not ${entry.credentialId}`);
    if (live.credential.typeCode !== entry.typeCode) fail(`credential.typeCode is ${live.credential.typeCode}, but the feed says ${entry.typeCode}`);
    if (entityStatusCode !== undefined && live.credential.status !== entityStatusCode) {
      fail(`credential.status is ${live.credential.status}, but _entities says statusCode ${entityStatusCode}`);
    }
    return `${entry.credentialId}: status ${live.credential.status}, ${live.openDisputes.length} open disputes`;
  });
  await check('service API: unknown id → 404', async () => {
    const unknown = unknownId(sample().credentialId);
    const answer = await signed(routeCallers.serviceApi, 'GET', registryPaths.liveRecord(unknown));
    expectStatus(answer, 404, `GET /internal/credentials/${unknown}`);
    return `404 ${conformsTo(serviceErrorSchema, answer.body, 'the 404 body').error}`;
  });

  if (options.writes) {
    const record: UsageRecordRequest = {
      id: `conformance-${randomUUID()}`,
      credentialId: sampleEntry?.credentialId ?? '',
      verifierOrg: '',
      verifierName: 'Hutong conformance suite',
      verifierRegion: subgraph,
      operator: 'hutong-conformance',
      scenario: 'conformance',
      scenarioName: 'Registry conformance check',
      serviceItemName: 'Registry conformance check',
      serviceItemCode: 'conformance',
      businessCaseNumber: 'conformance',
      releasedFields: [],
      // Nothing was decided: a probe, not a use.
      verdict: 'INDETERMINATE',
      reasons: [],
      ruleId: null,
      ruleVersion: null,
      verifiedAt: new Date().toISOString(),
      // As a registered counter sends it: the registry keeps the counter's part and shows it.
      channel: 'COUNTER_ASSISTED',
      counterAssistance: { identityDocument: 'RESIDENT_ID_CARD', staffName: 'Hutong conformance suite', staffNumber: 'conformance' },
    };
    const postUsage = (json: unknown) => signed(routeCallers.serviceApi, 'POST', registryPaths.usageRecords, json);
    await check('service API: usage record stored → 201', async () => {
      sample();
      const answer = await postUsage(record);
      expectStatus(answer, 201, 'POST /internal/usage-records');
      const { stored } = conformsTo(usageRecordAnswerSchema, answer.body, 'the answer');
      if (!stored) fail('answered stored: false for a record never sent before');
      // What the service API stored is what GraphQL shows.
      const body = await graphql(
        `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on ${implName(credentialType)} { usageRecords(first: 5) { nodes { id channel counterAssistance { staffNumber } } } } } }`,
        { representations: [{ __typename: implName(credentialType), id: record.credentialId }] },
      );
      type Listed = { id: string; channel?: string; counterAssistance?: { staffNumber?: string } | null };
      // The record was used just now: it is on the first page, newest first.
      const listed = ((body.data?._entities as { usageRecords?: { nodes?: Listed[] } }[] | undefined)?.[0]?.usageRecords?.nodes ?? []).find((r) => r.id === record.id);
      if (!listed) fail(`usageRecords of ${record.credentialId} do not list ${record.id}: ${shown(body)}`);
      if (listed!.channel !== 'COUNTER_ASSISTED' || listed!.counterAssistance?.staffNumber !== 'conformance') {
        fail(`usage record ${record.id} is listed without the counter's part it was sent with: ${shown(listed)}`);
      }
      return `${record.id} stored, listed in usageRecords with its channel`;
    });
    await check('service API: same usage record again → 200', async () => {
      sample();
      const answer = await postUsage(record);
      expectStatus(answer, 200, 'POST /internal/usage-records with a record already stored');
      const { stored } = conformsTo(usageRecordAnswerSchema, answer.body, 'the answer');
      if (stored) fail('answered stored: true for a record already stored');
      return `${record.id}: stored false`;
    });
    await check('service API: malformed usage record → 400', async () => {
      const malformed = [
        ['no verdict', { ...record, id: `conformance-${randomUUID()}`, verdict: undefined }],
        ['verifiedAt not a timestamp', { ...record, id: `conformance-${randomUUID()}`, verifiedAt: 'yesterday' }],
        ['a reason VerdictReason does not list', { ...record, id: `conformance-${randomUUID()}`, reasons: ['CONFORMANCE_CHECK'] }],
        ['COUNTER_ASSISTED without the counter’s part', { ...record, id: `conformance-${randomUUID()}`, counterAssistance: null }],
        ['an empty id', { ...record, id: '' }],
      ] as const;
      for (const [why, json] of malformed) {
        const answer = await postUsage(json);
        expectStatus(answer, 400, `a usage record with ${why}`);
        conformsTo(serviceErrorSchema, answer.body, `the 400 body (${why})`);
      }
      return `400 for ${malformed.map(([why]) => why).join(', ')}`;
    });

    const dispute = {
      credentialId: sampleEntry?.credentialId ?? '',
      field: 'number',
      claim: 'Filed by the Hutong conformance suite to check the service API.',
      filedByRole: 'verifier',
      filedBy: 'hutong-conformance',
    };
    const postDispute = (json: unknown) => signed(routeCallers.serviceApi, 'POST', registryPaths.disputes, json);
    await check('service API: dispute filed → 201', async () => {
      sample();
      const answer = await postDispute(dispute);
      expectStatus(answer, 201, 'POST /internal/disputes');
      const filed = conformsTo(disputeAnswerSchema, answer.body, 'the answer').dispute;
      if (filed.credentialId !== dispute.credentialId || filed.field !== dispute.field || filed.status !== 'OPEN') {
        fail(`the dispute answered (${filed.credentialId}, ${filed.field}, ${filed.status}) is not the one filed (${dispute.credentialId}, ${dispute.field}, OPEN)`);
      }
      const live = await liveRecord(dispute.credentialId);
      if (!live.openDisputes.some((d) => d.id === filed.id)) fail(`the live record's openDisputes do not list ${filed.id}`);
      return `${filed.id} OPEN, listed in the live record`;
    });
    await check('service API: malformed dispute → 400', async () => {
      const answer = await postDispute({ ...dispute, filedByRole: 'gateway' });
      expectStatus(answer, 400, 'a dispute filed by role gateway');
      conformsTo(serviceErrorSchema, answer.body, 'the 400 body');
      return '400 for filedByRole gateway';
    });
    await check('service API: dispute on unknown credential → 404', async () => {
      const answer = await postDispute({ ...dispute, credentialId: unknownId(sample().credentialId) });
      expectStatus(answer, 404, 'a dispute on a credential the registry does not hold');
      return `404 ${conformsTo(serviceErrorSchema, answer.body, 'the 404 body').error}`;
    });
  }

  return { subgraph, checks };
}

/** The keys of gateway, catalogue, recognition and the registry itself found in a key folder. */
async function signersFrom(folder: string | undefined, subgraph: string): Promise<Partial<Record<string, SigningKey>>> {
  if (!folder) return {};
  const files = devKeyFiles(folder);
  const signers: Partial<Record<string, SigningKey>> = {};
  for (const service of [routeCallers.graphql, routeCallers.feed, routeCallers.serviceApi, subgraph]) {
    const file = files.serviceKey(service);
    if (existsSync(file)) signers[service] = await loadSigningKey(file);
  }
  return signers;
}

/** A well-formed identifier next to one the registry holds (same type and issuer), that it does not hold. */
function unknownId(known: string): string {
  const parsed = parseLicenceId(known);
  const serial = `ZZ${randomUUID().replaceAll('-', '').slice(0, 16).toUpperCase()}`;
  if (!parsed.ok) return `${known}.unknown`;
  return buildLicenceId({ typeCode: parsed.parts.typeCode, issuerCode: parsed.parts.issuerCode, serial, version: '001' });
}

/** A page read after `after` with `limit`: in order, after the cursor, within the limit, its own last entry, a head not below it. */
function pageFollows(page: FeedPage, after: number, limit: number): void {
  if (page.entries.length > limit) fail(`${page.entries.length} entries served for limit ${limit}`);
  let previous = after;
  for (const e of page.entries) {
    if (e.seq <= previous) fail(`entry seq ${e.seq} is not after ${previous}: seq must increase strictly from after (${after})`);
    previous = e.seq;
  }
  if (page.lastSeq !== previous) fail(`lastSeq is ${page.lastSeq}, not the last entry served (${previous})`);
  if (page.entries.length > 0 && page.headSeq < page.lastSeq) fail(`headSeq ${page.headSeq} is below lastSeq ${page.lastSeq}`);
  if (page.entries.length === 0 && page.headSeq > after) fail(`no entries after ${after}, yet headSeq is ${page.headSeq}`);
}

// ---------------------------------------------------------------------------------------------
// SDL comparison

interface ObjectShape {
  fields: Map<string, FieldDefinitionNode>;
  directives: ConstDirectiveNode[];
}

interface SdlIndex {
  objects: Map<string, ObjectShape>;
  enums: Map<string, Set<string>>;
}

/** Object types and enums of an SDL, definitions and extensions merged. */
function indexSdl(doc: DocumentNode): SdlIndex {
  const objects = new Map<string, ObjectShape>();
  const enums = new Map<string, Set<string>>();
  for (const def of doc.definitions) {
    if (def.kind === Kind.OBJECT_TYPE_DEFINITION || def.kind === Kind.OBJECT_TYPE_EXTENSION) {
      const shape: ObjectShape = objects.get(def.name.value) ?? { fields: new Map(), directives: [] };
      for (const f of def.fields ?? []) shape.fields.set(f.name.value, f);
      shape.directives.push(...(def.directives ?? []));
      objects.set(def.name.value, shape);
    } else if (def.kind === Kind.ENUM_TYPE_DEFINITION || def.kind === Kind.ENUM_TYPE_EXTENSION) {
      const values = enums.get(def.name.value) ?? new Set<string>();
      for (const v of def.values ?? []) values.add(v.name.value);
      enums.set(def.name.value, values);
    }
  }
  return { objects, enums };
}

/** A federation directive, under its imported name or its `federation__` one. */
const directives = (nodes: readonly ConstDirectiveNode[] | undefined, name: string) =>
  (nodes ?? []).filter((d) => d.name.value === name || d.name.value === `federation__${name}`);

function keyFields(shape: ObjectShape): { fields: string; resolvable: boolean }[] {
  return directives(shape.directives, 'key').map((d) => {
    const arg = (n: string) => d.arguments?.find((a) => a.name.value === n)?.value;
    const fields = arg('fields');
    const resolvable = arg('resolvable');
    return {
      fields: fields?.kind === Kind.STRING ? fields.value.trim().replace(/\s+/g, ' ') : '',
      resolvable: !(resolvable?.kind === Kind.BOOLEAN && !resolvable.value),
    };
  });
}

function inferPrefix(sdl: SdlIndex): string | undefined {
  const candidates = [...sdl.objects].filter(([name, shape]) => name.endsWith('Credential') && keyFields(shape).some((k) => k.fields === 'id'));
  return candidates.length === 1 ? candidates[0]![0].slice(0, -'Credential'.length) : undefined;
}

/**
 * Whether a field typed `actual` can stand where the contract says `expected`: the same named
 * type and list nesting, and non-null wherever the contract says non-null (stricter is fine).
 */
function compatible(expected: TypeNode, actual: TypeNode): boolean {
  if (expected.kind === Kind.NON_NULL_TYPE) return actual.kind === Kind.NON_NULL_TYPE && compatible(expected.type, actual.type);
  if (actual.kind === Kind.NON_NULL_TYPE) return compatible(expected, actual.type);
  if (expected.kind === Kind.LIST_TYPE) return actual.kind === Kind.LIST_TYPE && compatible(expected.type, actual.type);
  return actual.kind === Kind.NAMED_TYPE && actual.name.value === expected.name.value;
}

function fieldProblems(contract: ObjectShape, impl: ObjectShape, typeName: string): string[] {
  const problems: string[] = [];
  for (const [name, field] of contract.fields) {
    const own = impl.fields.get(name);
    if (!own) problems.push(`${typeName}.${name} is missing (${print(field.type)})`);
    else if (!compatible(field.type, own.type)) problems.push(`${typeName}.${name} is ${print(own.type)}, the contract needs ${print(field.type)}`);
  }
  return problems;
}

function entityConforms(contract: SdlIndex, sdl: SdlIndex, contractType: string, key: string, implName: (n: string) => string): string {
  const name = implName(contractType);
  const impl = sdl.objects.get(name) ?? fail(`the SDL declares no type ${name}`);
  if (!keyFields(impl).some((k) => k.fields === key && k.resolvable)) fail(`${name} does not carry @key(fields: "${key}")`);
  const problems = fieldProblems(contract.objects.get(contractType)!, impl, name);
  if (problems.length) fail(problems.join('; '));
  return `${name} @key(fields: "${key}") with the contract's ${contract.objects.get(contractType)!.fields.size} fields`;
}

function sharedTypesConform(contract: SdlIndex, sdl: SdlIndex, implName: (n: string) => string): string {
  const problems: string[] = [];
  const checked: string[] = [];
  for (const [name, shape] of contract.objects) {
    if (name.startsWith(PREFIX)) continue;
    checked.push(name);
    const impl = sdl.objects.get(implName(name));
    if (!impl) {
      problems.push(`the SDL declares no type ${name}`);
      continue;
    }
    problems.push(...fieldProblems(shape, impl, name));
    for (const key of keyFields(shape)) {
      if (!keyFields(impl).some((k) => k.fields === key.fields)) problems.push(`${name} does not carry @key(fields: "${key.fields}")`);
    }
    // A value type the catalogue declares too must be shareable (on the type or on each field).
    if (directives(shape.directives, 'shareable').length > 0) {
      const shareable = directives(impl.directives, 'shareable').length > 0
        || [...shape.fields.keys()].every((f) => directives(impl.fields.get(f)?.directives, 'shareable').length > 0);
      if (!shareable) problems.push(`${name} is not @shareable`);
    }
  }
  for (const [name, values] of contract.enums) {
    checked.push(name);
    const own = sdl.enums.get(name);
    if (!own) {
      problems.push(`the SDL declares no enum ${name}`);
      continue;
    }
    const missing = [...values].filter((v) => !own.has(v));
    const extra = [...own].filter((v) => !values.has(v));
    if (missing.length) problems.push(`enum ${name} lacks ${missing.join(', ')}`);
    if (extra.length) problems.push(`enum ${name} has values the contract does not know: ${extra.join(', ')}`);
  }
  if (problems.length) fail(problems.join('; '));
  return checked.join(', ');
}

const requirement = (nodes: readonly ConstDirectiveNode[] | undefined): ScopeRequirement | undefined =>
  readRequirement(nodes) ?? readRequirement(nodes, 'federation__requiresScopes');

/** Who may read a field: its own declaration and its type's, both; nobody when neither says. */
function readers(shape: ObjectShape, field: FieldDefinitionNode | undefined): Set<Principal> {
  const declared = [requirement(shape.directives), requirement(field?.directives)].filter((r): r is ScopeRequirement => r !== undefined);
  return declared.length ? allowedPrincipals(declared) : new Set();
}

function accessConforms(contract: SdlIndex, sdl: SdlIndex, implName: (n: string) => string): string {
  const problems: string[] = [];
  let fields = 0;
  for (const [name, shape] of contract.objects) {
    const impl = sdl.objects.get(implName(name));
    if (!impl) continue; // reported by the type checks
    for (const [fieldName, field] of shape.fields) {
      if (!impl.fields.has(fieldName)) continue;
      fields++;
      const wanted = [...readers(shape, field)].sort();
      const declared = [...readers(impl, impl.fields.get(fieldName))].sort();
      if (wanted.join() !== declared.join()) {
        problems.push(`${implName(name)}.${fieldName} is readable by ${declared.join(', ') || 'nobody'}; the contract says ${wanted.join(', ')}`);
      }
    }
  }
  if (problems.length) fail(problems.slice(0, 6).join('; ') + (problems.length > 6 ? `; and ${problems.length - 6} more` : ''));
  return `${fields} fields declare the contract's access`;
}

// ---------------------------------------------------------------------------------------------
// Answers checked against the contract's types

const namedType = (type: TypeNode): string => (type.kind === Kind.NAMED_TYPE ? type.name.value : namedType(type.type));

/** A selection of every contract field of `typeName`, nested objects included. */
function selection(contract: SdlIndex, typeName: string): string {
  const shape = contract.objects.get(typeName)!;
  const parts = [...shape.fields.values()].map((f) => {
    const inner = namedType(f.type);
    return contract.objects.has(inner) ? `${f.name.value} ${selection(contract, inner)}` : f.name.value;
  });
  return `{ ${parts.join(' ')} }`;
}

const scalarTests: Record<string, (v: unknown) => boolean> = {
  ID: (v) => typeof v === 'string',
  String: (v) => typeof v === 'string',
  Int: (v) => Number.isInteger(v),
  Float: (v) => typeof v === 'number',
  Boolean: (v) => typeof v === 'boolean',
};

/** What in `value` does not fit the contract's `type` (by path). */
function valueProblems(contract: SdlIndex, value: unknown, type: TypeNode, at: string): string[] {
  if (type.kind === Kind.NON_NULL_TYPE) {
    if (value === null || value === undefined) return [`${at} is ${value === null ? 'null' : 'missing'}, the contract says ${print(type)}`];
    return valueProblems(contract, value, type.type, at);
  }
  if (value === null) return [];
  if (value === undefined) return [`${at} is missing`];
  if (type.kind === Kind.LIST_TYPE) {
    if (!Array.isArray(value)) return [`${at} is not a list`];
    return value.flatMap((item, i) => valueProblems(contract, item, type.type, `${at}[${i}]`));
  }
  const name = type.name.value;
  const scalar = scalarTests[name];
  // The value itself is not shown: it may be personal data.
  if (scalar) return scalar(value) ? [] : [`${at} is a ${Array.isArray(value) ? 'list' : typeof value}, not a ${name}`];
  const values = contract.enums.get(name);
  if (values) return values.has(value as string) ? [] : [`${at} is ${JSON.stringify(value)}, not a ${name} value`];
  const shape = contract.objects.get(name);
  if (!shape || typeof value !== 'object' || Array.isArray(value)) return [`${at} is not a ${name}`];
  return [...shape.fields].flatMap(([f, def]) => valueProblems(contract, (value as Record<string, unknown>)[f], def.type, `${at}.${f}`));
}
