/**
 * Lists that grow, read a page at a time through the gateway: a credential's usage records and
 * disputes (from its issuing registry), a holder's credentials (from the national index) and a
 * rule's versions (from recognition). Pages are walked to the end with literal counts, no entry
 * twice and none left out; bad page sizes and cursors are refused with BAD_USER_INPUT, never an
 * internal error. Everything runs on PGlite and on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordStore } from '../../subgraphs/kit/registry/records.js';
import { todayInChina } from '../../subgraphs/kit/days.js';
import { moverAt, regions } from '../support/fixtures.js';
import { identityToken } from '../support/identities.js';
import { jinanHallUsage } from '../support/records.js';
import { startStack, type Stack } from '../support/stack.js';
import { holderToken, seeded } from '../support/verification.js';

const SEED = 200;
let stack: Stack;

// `first` is passed as a variable: the gateway's cost limit multiplies a literal `first:`.
const USAGE = `query Usage($id: ID!, $first: Int, $after: String) {
  credential(id: $id) {
    usageRecords(first: $first, after: $after) {
      totalCount
      nodes { id verifiedAt }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;
const DISPUTES = `query Disputes($id: ID!, $first: Int, $after: String) {
  credential(id: $id) {
    disputes(first: $first, after: $after) { totalCount nodes { id claim } pageInfo { hasNextPage endCursor } }
  }
}`;
const WALLET = `query Wallet($code: ID!, $first: Int, $after: String) {
  holder(code: $code) {
    credentials(first: $first, after: $after) {
      totalCount
      nodes { id name issuingRegion { code } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;
const RULE_HISTORY = `query History($id: ID!, $first: Int, $after: String) {
  recognitionRuleHistory(id: $id, first: $first, after: $after) {
    totalCount
    nodes { id version validFrom validUntil publication { source region } }
    pageInfo { hasNextPage endCursor }
  }
}`;

interface Page<T> {
  totalCount: number;
  nodes: T[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** Five usage records of one credential, two of them at the same moment (the id decides between them). */
const USES = [
  ['use-a', '2026-03-01T08:00:00.000Z'],
  ['use-b', '2026-03-02T08:00:00.000Z'],
  ['use-c', '2026-03-03T08:00:00.000Z'],
  ['use-d', '2026-03-03T08:00:00.000Z'],
  ['use-e', '2026-03-04T08:00:00.000Z'],
] as const;

const eid = () => seeded('shandong', SEED, { type: 'e-id' }, 11);
const bare = () => seeded('shandong', SEED, { type: 'e-id' }, 12);
let usageSeeded: Promise<void> | undefined;
/** The records are written once, in the Shandong registry's own database, as its service API stores them. */
function seedUsage(): Promise<void> {
  usageSeeded ??= (async () => {
    const records = new RecordStore(stack.subgraphs.get('shandong')!.db);
    const c = eid();
    for (const [id, verifiedAt] of USES) await records.addUsageRecord(jinanHallUsage(`${id}-${c.id}`, c.id, { verifiedAt }));
  })();
  return usageSeeded;
}
const useId = (name: string) => `${name}-${eid().id}`;

async function usagePage(variables: Record<string, unknown>, id = eid().id) {
  const token = await holderToken(stack, eid().holderCode);
  return stack.query(USAGE, { id, ...variables }, { token });
}

/** Every page of a list, `first` at a time, asserting each answer is whole. */
async function walk<T>(ask: (after: string | null) => Promise<{ status: number; body: { data?: any; errors?: unknown } }>, pick: (data: any) => Page<T>): Promise<Page<T>[]> {
  const pages: Page<T>[] = [];
  let after: string | null = null;
  do {
    const { status, body } = await ask(after);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const page = pick(body.data);
    pages.push(page);
    after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    expect(pages.length).toBeLessThan(20);
  } while (after !== null);
  return pages;
}

/** The one error of a refused answer: its message, code and reason, with no internal error anywhere. */
function refusal(res: { status: number; body: { errors?: { message: string; extensions: Record<string, unknown> }[] } }) {
  expect(res.status).toBeLessThan(500);
  expect(res.body.errors).toHaveLength(1);
  const [error] = res.body.errors!;
  expect(JSON.stringify(res.body)).not.toMatch(/INTERNAL_SERVER_ERROR|Internal error|select |stack/i);
  return { message: error!.message, code: error!.extensions.code, reason: error!.extensions.reason };
}

// Keyset pages are SQL of their own: they run on the embedded database and on PostgreSQL alike.
describe.each(['pglite', 'postgres'] as const)('on %s', (db) => {
  beforeAll(async () => {
    usageSeeded = undefined;
    stack = await startStack({ seedCount: SEED, db });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  describe('a credential’s usage records', () => {
    beforeAll(() => seedUsage());

    it('are walked two at a time, newest first: 2, 2 and 1 entries, none twice, none left out', async () => {
      const pages = await walk<{ id: string; verifiedAt: string }>((after) => usagePage({ first: 2, after }), (d) => d.credential.usageRecords);
      expect(pages.map((p) => p.nodes.length)).toEqual([2, 2, 1]);
      expect(pages.map((p) => p.totalCount)).toEqual([5, 5, 5]);
      expect(pages.map((p) => p.pageInfo.hasNextPage)).toEqual([true, true, false]);
      // Every page, the last included, names its last entry's cursor.
      for (const p of pages) expect(p.pageInfo.endCursor).toMatch(/^[A-Za-z0-9_-]+$/);
      const ids = pages.flatMap((p) => p.nodes.map((n) => n.id));
      expect(ids).toEqual([useId('use-e'), useId('use-d'), useId('use-c'), useId('use-b'), useId('use-a')]);
      expect(new Set(ids).size).toBe(5);
      expect(pages[0]!.nodes[0]!.verifiedAt).toBe('2026-03-04T08:00:00.000Z');
    });

    it('are 20 to a page when first is left out, and up to 100 with first: 100', async () => {
      for (const first of [undefined, 100]) {
        const { body } = await usagePage(first === undefined ? {} : { first });
        expect(body.errors).toBeUndefined();
        expect(body.data.credential.usageRecords.nodes).toHaveLength(5);
        expect(body.data.credential.usageRecords.pageInfo.hasNextPage).toBe(false);
      }
    });

    it('are an empty page with a null endCursor for a credential never used', async () => {
      const c = bare();
      const { body } = await stack.query(USAGE, { id: c.id, first: 2 }, { token: await holderToken(stack, c.holderCode) });
      expect(body.errors).toBeUndefined();
      expect(body.data.credential.usageRecords).toEqual({ totalCount: 0, nodes: [], pageInfo: { hasNextPage: false, endCursor: null } });
    });

    it.each([0, 101, -1])('refuses first: %i with BAD_USER_INPUT and says why', async (first) => {
      expect(refusal(await usagePage({ first }))).toEqual({
        message: `first must be between 1 and 100 (the maximum page size); it was ${first}.`,
        code: 'BAD_USER_INPUT',
        reason: 'PAGE_SIZE_OUT_OF_RANGE',
      });
    });

    it.each([
      ['garbage', 'not a cursor'],
      ['base64url of something else', Buffer.from('{"id":"use-a"}').toString('base64url')],
      ['a cursor cut short', 'WyJ1c2FnZS1yZWNvcmRz'],
    ])('refuses %s as after with BAD_USER_INPUT, never an internal error', async (_what, after) => {
      expect(refusal(await usagePage({ first: 2, after }))).toEqual({
        message: 'after is not a cursor Hutong gave out: pass the endCursor of the previous page, or leave after out for the first page.',
        code: 'BAD_USER_INPUT',
        reason: 'INVALID_CURSOR',
      });
    });

    it('refuses a cursor of another list: another credential’s usage records, its disputes, a rule’s history', async () => {
      const { body } = await usagePage({ first: 1 });
      const cursor = body.data.credential.usageRecords.pageInfo.endCursor as string;
      const history = await stack.query(RULE_HISTORY, { id: 'sd-service-hall-e-id', first: 1 });
      const foreign = {
        message: 'after is a cursor of another list: pass the endCursor of the previous page of this same list.',
        code: 'BAD_USER_INPUT',
        reason: 'INVALID_CURSOR',
      };
      const c = bare();
      expect(refusal(await stack.query(USAGE, { id: c.id, first: 1, after: cursor }, { token: await holderToken(stack, c.holderCode) }))).toEqual(foreign);
      expect(refusal(await stack.query(DISPUTES, { id: eid().id, first: 1, after: cursor }, { token: await holderToken(stack, eid().holderCode) }))).toEqual(foreign);
      expect(refusal(await usagePage({ first: 1, after: history.body.data.recognitionRuleHistory.pageInfo.endCursor }))).toEqual(foreign);
    });

    it('are read with each page’s own size and cursor when one operation asks for several', async () => {
      const { body: first } = await usagePage({ first: 2 });
      const cursor = first.data.credential.usageRecords.pageInfo.endCursor;
      const { body } = await stack.query(
        `query($id: ID!, $one: Int, $three: Int, $after: String) {
          credential(id: $id) {
            one: usageRecords(first: $one) { nodes { id } }
            three: usageRecords(first: $three) { nodes { id } }
            next: usageRecords(first: $three, after: $after) { nodes { id } pageInfo { hasNextPage } }
          }
        }`,
        { id: eid().id, one: 1, three: 3, after: cursor },
        { token: await holderToken(stack, eid().holderCode) },
      );
      expect(body.errors).toBeUndefined();
      const ids = (page: { nodes: { id: string }[] }) => page.nodes.map((n) => n.id);
      expect(ids(body.data.credential.one)).toEqual([useId('use-e')]);
      expect(ids(body.data.credential.three)).toEqual([useId('use-e'), useId('use-d'), useId('use-c')]);
      expect(ids(body.data.credential.next)).toEqual([useId('use-c'), useId('use-b'), useId('use-a')]);
      expect(body.data.credential.next.pageInfo.hasNextPage).toBe(false);
    });
  });

  describe('a credential’s disputes', () => {
    it('are walked most recently filed first', async () => {
      const c = seeded('shandong', SEED, { type: 'e-id' }, 13);
      const records = new RecordStore(stack.subgraphs.get('shandong')!.db);
      for (const n of [1, 2, 3]) {
        await records.fileDispute({ id: `dispute-${n}-${c.id}`, credentialId: c.id, field: 'face.address', claim: `住址第${n}次更正`, filedByRole: 'holder', filedBy: c.holderCode });
      }
      const token = await holderToken(stack, c.holderCode);
      const pages = await walk<{ claim: string }>((after) => stack.query(DISPUTES, { id: c.id, first: 2, after }, { token }), (d) => d.credential.disputes);
      expect(pages.map((p) => p.nodes.map((n) => n.claim))).toEqual([['住址第3次更正', '住址第2次更正'], ['住址第1次更正']]);
      expect(pages.map((p) => [p.totalCount, p.pageInfo.hasNextPage])).toEqual([[3, true], [3, false]]);
    });
  });

  describe('a holder’s credentials', () => {
    it('are walked one at a time across every region, in region order, each read live from its registry', async () => {
      const mover = moverAt(0);
      const token = await holderToken(stack, mover.code);
      await stack.subgraphs.get('catalogue')!.subgraph.settle!();
      const pages = await walk<{ id: string; name: string; issuingRegion: { code: string } }>(
        (after) => stack.query(WALLET, { code: mover.code, first: 1, after }, { token }),
        (d) => d.holder.credentials,
      );
      expect(regions).toHaveLength(4);
      expect(pages.map((p) => p.nodes.length)).toEqual([1, 1, 1, 1]);
      expect(pages.map((p) => p.totalCount)).toEqual([4, 4, 4, 4]);
      expect(pages.map((p) => p.pageInfo.hasNextPage)).toEqual([true, true, true, false]);
      expect(pages.map((p) => p.nodes[0]!.issuingRegion.code)).toEqual(['chengdu-chongqing', 'hebei', 'shandong', 'yangtze-delta']);
      for (const p of pages) expect(p.nodes[0]!.name).not.toBe('');
      expect(new Set(pages.map((p) => p.nodes[0]!.id)).size).toBe(4);
    });

    it('refuses first: 0 and first: 101 from the catalogue as from a registry', async () => {
      const mover = moverAt(0);
      const token = await holderToken(stack, mover.code);
      for (const first of [0, 101]) {
        expect(refusal(await stack.query(WALLET, { code: mover.code, first }, { token }))).toEqual({
          message: `first must be between 1 and 100 (the maximum page size); it was ${first}.`,
          code: 'BAD_USER_INPUT',
          reason: 'PAGE_SIZE_OUT_OF_RANGE',
        });
      }
      const { body } = await stack.query(WALLET, { code: mover.code, first: 100 }, { token });
      expect(body.errors).toBeUndefined();
      expect(body.data.holder.credentials.nodes).toHaveLength(4);
    });
  });

  describe('a rule’s history', () => {
    it('lists the versions newest first, a page at a time, while the rules in force stay a plain list', async () => {
      const tomorrow = new Date(Date.parse(`${todayInChina()}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
      const published = await stack.query(
        `mutation($input: RecognitionRuleInput!) { publishRecognitionRule(input: $input, reason: "分页测试：下一版本") { version } }`,
        {
          input: {
            id: 'sd-service-hall-e-id', scenario: 'service-hall-visit', credentialType: '11100000HT00000183001', issuingProvinces: ['37'],
            acceptedStatuses: ['VALID'], releasedFields: [{ field: 'holderName' }], validFrom: tomorrow, legalBasis: '山东省政务服务大厅“免证办”。',
          },
        },
        { token: await identityToken(stack, 'rule-officer-shandong') },
      );
      expect(published.body.errors).toBeUndefined();
      expect(published.body.data.publishRecognitionRule.version).toBe(2);

      const pages = await walk<{ version: number; validFrom: string; publication: { source: string } }>(
        (after) => stack.query(RULE_HISTORY, { id: 'sd-service-hall-e-id', first: 1, after }),
        (d) => d.recognitionRuleHistory,
      );
      expect(pages.map((p) => p.nodes.map((n) => [n.version, n.validFrom, n.publication.source]))).toEqual([
        [[2, tomorrow, 'OFFICER']],
        [[1, '2021-01-01', 'REFERENCE_DATA']],
      ]);
      expect(pages.map((p) => [p.totalCount, p.pageInfo.hasNextPage])).toEqual([[2, true], [2, false]]);

      // Today only version 1 is in force.
      const inForce = await stack.query(`{ recognitionRules(acceptingRegion: "shandong", scenario: "service-hall-visit") { id version } }`);
      expect(inForce.body.data.recognitionRules).toEqual([{ id: 'sd-service-hall-e-id', version: 1 }]);

      const invalidation = await stack.query(
        `{ invalidationRuleHistory(id: "yrd-suspended-driving-licence") { totalCount nodes { id version } pageInfo { hasNextPage } } }`,
      );
      expect(invalidation.body.data.invalidationRuleHistory).toEqual({
        totalCount: 1, nodes: [{ id: 'yrd-suspended-driving-licence', version: 1 }], pageInfo: { hasNextPage: false },
      });
      const unknown = await stack.query(RULE_HISTORY, { id: 'no-such-rule' });
      expect(unknown.body.data.recognitionRuleHistory).toEqual({ totalCount: 0, nodes: [], pageInfo: { hasNextPage: false, endCursor: null } });
    });

    it('refuses a bad page size or cursor to anonymous callers too, with BAD_USER_INPUT', async () => {
      expect(refusal(await stack.query(RULE_HISTORY, { id: 'sd-service-hall-e-id', first: 101 }))).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'PAGE_SIZE_OUT_OF_RANGE' });
      expect(refusal(await stack.query(RULE_HISTORY, { id: 'sd-service-hall-e-id', after: '%%%' }))).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_CURSOR' });
    });
  });
});
