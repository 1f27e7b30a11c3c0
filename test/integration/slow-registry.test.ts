/**
 * A registry that is slow or hung, not refused: it accepts the connection and answers late or
 * never. The gateway's subgraph timeout and recognition's registry deadline (its default, 2 s,
 * for the live read and the usage write together) must end the wait, cost only that region, and
 * the relays must catch up by their own timers once it answers again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { region, seedCredential } from '../support/fixtures.js';
import { adminToken } from '../support/identities.js';
import { startStack, type Stack } from '../support/stack.js';
import { holderToken, issuerToken, present, seeded, verifierNamed, verify } from '../support/verification.js';

const SEED = 400;
const GATEWAY_TIMEOUT_MS = 2500;
/** Recognition's default registry deadline (HUTONG_REGISTRY_TIMEOUT_MS is not set here). */
const REGISTRY_DEADLINE_MS = 2000;
/** What a verifier may wait at most for an answer when the issuing registry is hung. */
const VERIFICATION_BOUND_MS = 2500;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    seedCount: SEED,
    gatewayEnv: { HUTONG_SUBGRAPH_TIMEOUT_MS: String(GATEWAY_TIMEOUT_MS), HUTONG_RATE_LIMIT_PER_MINUTE: '100000' },
    subgraphEnv: {
      HUTONG_USAGE_RELAY_INTERVAL_MS: '200',
      HUTONG_RELAY_INTERVAL_MS: '100',
    },
  });
});
afterAll(async () => {
  await stack?.stop();
});

const ONE_PER_REGION = `query($yd: ID!, $cc: ID!, $sd: ID!) {
  yd: credential(id: $yd) { id status }
  cc: credential(id: $cc) { id status }
  sd: credential(id: $sd) { id status }
}`;
const ids = {
  yd: seedCredential(region('yangtze-delta'), 3).id,
  cc: seedCredential(region('chengdu-chongqing'), 3).id,
  sd: seedCredential(region('shandong'), 3).id,
};

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started };
}

/** Polls until `check` passes (relays run on their own timers here, never through settle()). */
async function eventually(check: () => Promise<void>, withinMs = 15_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe('a hung registry (connection accepted, never answered)', () => {
  it('costs the gateway one subgraph timeout: its region is null with SUBGRAPH_UNAVAILABLE, the others complete', async () => {
    stack.setFault('shandong', 'hang');
    try {
      const { result, ms } = await timed(async () => stack.query(ONE_PER_REGION, ids, { token: await adminToken(stack) }));
      expect(result.status).toBe(200);
      expect(result.body.data.yd).toEqual({ id: ids.yd, status: expect.any(String) });
      expect(result.body.data.cc).toEqual({ id: ids.cc, status: expect.any(String) });
      expect(result.body.data.sd).toBeNull();
      expect(result.body.errors).toHaveLength(1);
      expect(result.body.errors[0].extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'shandong' });
      // The wait ended by the timeout, not by a refused connection and not never.
      expect(ms).toBeGreaterThanOrEqual(GATEWAY_TIMEOUT_MS - 100);
      expect(ms).toBeLessThan(GATEWAY_TIMEOUT_MS + 5000);
    } finally {
      stack.setFault('shandong', null);
    }
  });

  it('gives INDETERMINATE at the registry deadline, within 2.5 s, keeps the usage record, and the usage relay delivers it by its timer once the registry answers', async () => {
    const eid = seeded('shandong', SEED, { type: 'e-id', province: '37' }, 4);
    const jinanHall = verifierNamed('济南市政务服务中心');
    const code = await present(stack, eid, 'service-hall-visit');
    stack.setFault('shandong', 'hang');
    let verificationId: string;
    try {
      const { result, ms } = await timed(() => verify(stack, jinanHall, code, 'service-hall-visit'));
      expect(result.body.errors).toBeUndefined();
      expect(result.body.data.verifyPresentation).toMatchObject({
        verdict: 'INDETERMINATE',
        reasons: ['ISSUING_REGISTRY_UNREACHABLE'],
        releasedFields: [],
        usageRecorded: false,
      });
      verificationId = result.body.data.verifyPresentation.id;
      // One deadline for the live read and the usage write together.
      expect(ms).toBeGreaterThanOrEqual(REGISTRY_DEADLINE_MS - 100);
      expect(ms).toBeLessThanOrEqual(VERIFICATION_BOUND_MS);
    } finally {
      stack.setFault('shandong', null);
    }
    const token = await holderToken(stack, eid.holderCode);
    await eventually(async () => {
      const { body } = await stack.query(`query($id: ID!) { credential(id: $id) { usageRecords { nodes { id verdict reasons } } } }`, { id: eid.id }, { token });
      expect(body.data.credential.usageRecords.nodes).toContainEqual({ id: verificationId, verdict: 'INDETERMINATE', reasons: ['ISSUING_REGISTRY_UNREACHABLE'] });
    });
  });
});

describe('a slow registry', () => {
  it('that answers the live read but not the usage write within what remains of the deadline: decided, answered within 2.5 s, the usage record delivered later', async () => {
    const eid = seeded('shandong', SEED, { type: 'e-id', province: '37' }, 5);
    const jinanHall = verifierNamed('济南市政务服务中心');
    const code = await present(stack, eid, 'service-hall-visit');
    // The live read is answered after 1.3 s; the usage write would be too, but only 0.7 s remain.
    stack.setFault('shandong', { delayMs: 1300 });
    let verificationId: string;
    try {
      const { result, ms } = await timed(() => verify(stack, jinanHall, code, 'service-hall-visit'));
      expect(result.body.errors).toBeUndefined();
      expect(result.body.data.verifyPresentation).toMatchObject({ verdict: 'ACCEPTED', reasons: [], usageRecorded: false });
      verificationId = result.body.data.verifyPresentation.id;
      expect(ms).toBeGreaterThanOrEqual(REGISTRY_DEADLINE_MS - 100);
      expect(ms).toBeLessThanOrEqual(VERIFICATION_BOUND_MS);
    } finally {
      stack.setFault('shandong', null);
    }
    const token = await holderToken(stack, eid.holderCode);
    await eventually(async () => {
      const { body } = await stack.query(`query($id: ID!) { credential(id: $id) { usageRecords { nodes { id verdict } } } }`, { id: eid.id }, { token });
      // Once, even if the abandoned write reached the registry after all.
      expect(body.data.credential.usageRecords.nodes.filter((r: { id: string }) => r.id === verificationId)).toEqual([{ id: verificationId, verdict: 'ACCEPTED' }]);
    });
  });

  it('is waited for when it answers within the subgraph timeout', async () => {
    stack.setFault('shandong', { delayMs: 300 });
    try {
      const { body } = await stack.query(ONE_PER_REGION, ids, { token: await adminToken(stack) });
      expect(body.errors).toBeUndefined();
      expect(body.data.sd).toEqual({ id: ids.sd, status: expect.any(String) });
    } finally {
      stack.setFault('shandong', null);
    }
  });

  it('is given up on when it answers after the subgraph timeout, and only its region is missing', async () => {
    stack.setFault('shandong', { delayMs: GATEWAY_TIMEOUT_MS + 1500 });
    try {
      const { body } = await stack.query(ONE_PER_REGION, ids, { token: await adminToken(stack) });
      expect(body.data.sd).toBeNull();
      expect(body.data.yd).not.toBeNull();
      expect(body.data.cc).not.toBeNull();
      expect(body.errors.map((e: { extensions: { code: string; serviceName: string } }) => [e.extensions.code, e.extensions.serviceName])).toEqual([
        ['SUBGRAPH_UNAVAILABLE', 'shandong'],
      ]);
    } finally {
      stack.setFault('shandong', null);
    }
  });
});

/** The gateway's `hutong_subgraph_shared_calls_total` for one subgraph. */
async function sharedCalls(subgraph: string): Promise<number> {
  const line = (await stack.metrics('gateway')).split('\n').find((l) => l.startsWith(`hutong_subgraph_shared_calls_total{subgraph="${subgraph}",`));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('identical subgraph queries in flight at once', () => {
  const ONE = `query($sd: ID!) { sd: credential(id: $sd) { id status holderName } }`;

  it('are sent once for one caller, and every client gets the whole answer', async () => {
    const token = await adminToken(stack);
    stack.setFault('shandong', { delayMs: 400 });
    try {
      const before = { sent: stack.graphqlRequests('shandong'), shared: await sharedCalls('shandong') };
      const answers = await Promise.all(Array.from({ length: 5 }, () => stack.query(ONE, { sd: ids.sd }, { token })));
      // Shandong's seed credential 3, its holder's name masked for an auditor.
      const expected = { sd: { id: ids.sd, status: 'SUSPENDED', holderName: '马*伟' } };
      for (const a of answers) {
        expect(a.body.errors).toBeUndefined();
        expect(a.body.data).toEqual(expected);
      }
      expect(stack.graphqlRequests('shandong') - before.sent).toBe(1);
      expect((await sharedCalls('shandong')) - before.shared).toBe(4);
    } finally {
      stack.setFault('shandong', null);
    }
  });

  it('are never shared between two callers, even with the same role', async () => {
    const [a, b] = await Promise.all([stack.token({ sub: 'auditor-a', role: 'admin' }), stack.token({ sub: 'auditor-b', role: 'admin' })]);
    stack.setFault('shandong', { delayMs: 400 });
    try {
      const before = stack.graphqlRequests('shandong');
      const answers = await Promise.all([a, b].map((token) => stack.query(ONE, { sd: ids.sd }, { token })));
      for (const answer of answers) expect(answer.body.data.sd.id).toBe(ids.sd);
      expect(stack.graphqlRequests('shandong') - before).toBe(2);
    } finally {
      stack.setFault('shandong', null);
    }
  });

  it('never include mutations: two identical issues at once are two credentials', async () => {
    const holder = seedCredential(region('shandong'), 7);
    const token = await issuerToken(stack, 'shandong', holder.issuerCode);
    const input = { typeCode: holder.typeCode, holderCode: holder.holderCode, holderName: holder.holderName, issueDate: '2026-11-30', areaCode: holder.areaCode };
    stack.setFault('shandong', { delayMs: 400 });
    try {
      const before = stack.graphqlRequests('shandong');
      const answers = await Promise.all(
        [1, 2].map(() => stack.query(`mutation($input: IssueCredentialInput!) { shandong { issueCredential(input: $input) { id } } }`, { input }, { token })),
      );
      const issued = answers.map((a) => a.body.data.shandong.issueCredential.id as string);
      expect(new Set(issued).size).toBe(2);
      expect(stack.graphqlRequests('shandong') - before).toBe(2);
    } finally {
      stack.setFault('shandong', null);
    }
  });
});

describe('the catalogue relay on its own timer', () => {
  it('indexes a credential issued after a registry hang, without anyone forcing a sync', async () => {
    stack.setFault('shandong', 'hang');
    // Long enough for the relay to have tried (and be stuck on) the hung feed.
    await new Promise((r) => setTimeout(r, 400));
    stack.setFault('shandong', null);

    const holder = seedCredential(region('shandong'), 5);
    const issuerOrg = holder.issuerCode;
    const { body } = await stack.query(
      `mutation($input: IssueCredentialInput!) { shandong { issueCredential(input: $input) { id holderCode } } }`,
      {
        input: {
          typeCode: holder.typeCode,
          holderCode: holder.holderCode,
          holderName: holder.holderName,
          issueDate: '2026-11-30',
          areaCode: holder.areaCode,
        },
      },
      { token: await issuerToken(stack, 'shandong', issuerOrg) },
    );
    expect(body.errors).toBeUndefined();
    const issued = body.data.shandong.issueCredential.id as string;
    const token = await holderToken(stack, holder.holderCode);
    await eventually(async () => {
      const listed = await stack.query(`query($code: ID!) { holder(code: $code) { credentials { nodes { id } } } }`, { code: holder.holderCode }, { token });
      expect(listed.body.data.holder.credentials.nodes.map((c: { id: string }) => c.id)).toContain(issued);
    });
  });
});
