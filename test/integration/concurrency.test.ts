/**
 * Requests that race, on PostgreSQL where they truly run side by side: one presentation code
 * verified by several verifiers at the same instant, and an issuer's commands fired in parallel
 * at one credential. Exactly one winner where there can be only one, and a history that reads as
 * one consistent sequence of transitions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';
import { issuerToken, present, seeded, verifierNamed, verify } from '../support/verification.js';

const SEED = 200;
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ db: 'postgres', seedCount: SEED, gatewayEnv: { HUTONG_RATE_LIMIT_PER_MINUTE: '100000' } });
});
afterAll(async () => {
  await stack?.stop();
});

const errorReason = (body: { errors?: { extensions?: { code?: string; reason?: string } }[] }) =>
  body.errors ? `${body.errors[0]!.extensions?.code}/${body.errors[0]!.extensions?.reason ?? ''}` : 'ok';

describe('one presentation code verified at the same instant', () => {
  it('is consumed by exactly one verification; every other gets PRESENTATION_CODE_USED and leaves no verification or usage record', async () => {
    const eid = seeded('yangtze-delta', SEED, { type: 'e-id', province: '32' }, 3);
    const hotel = verifierNamed('上海外滩江景酒店有限公司');
    const code = await present(stack, eid, 'hotel-check-in');
    const attempts = await Promise.all(Array.from({ length: 8 }, () => verify(stack, hotel, code, 'hotel-check-in')));

    const outcomes = attempts.map((a) => errorReason(a.body)).sort();
    expect(outcomes).toEqual(['BAD_USER_INPUT/PRESENTATION_CODE_USED', ...Array(6).fill('BAD_USER_INPUT/PRESENTATION_CODE_USED'), 'ok'].sort());
    const winner = attempts.find((a) => !a.body.errors)!.body.data.verifyPresentation;
    expect(winner.verdict).toBe('ACCEPTED');

    const recognition = stack.subgraphs.get('recognition')!.db;
    const verifications = await recognition.query<{ id: string }>(
      `select v.id from verification v join presentation_code p on p.jti = v.code_jti where p.credential_id = $1`,
      [eid.id],
    );
    expect(verifications.map((v) => v.id)).toEqual([winner.id]);
    const registry = stack.subgraphs.get('yangtze-delta')!.db;
    const usage = await registry.query<{ id: string }>('select id from usage_record where credential_id = $1', [eid.id]);
    expect(usage.map((u) => u.id)).toEqual([winner.id]);
  });
});

describe("an issuer's commands fired in parallel at one credential", () => {
  const ACTIONS = ['suspendCredential', 'restoreCredential', 'suspendCredential', 'restoreCredential', 'revokeCredential', 'cancelCredential'];
  /** Allowed transitions between stored status codes (01 valid, 02 suspended, 03 revoked, 04 cancelled). */
  const allowed: Record<string, [string[], string]> = {
    SUSPEND: [['01'], '02'],
    RESTORE: [['02'], '01'],
    REVOKE: [['01', '02'], '03'],
    CANCEL: [['01', '02', '05'], '04'],
  };

  it('leaves one consistent history: each event starts where the previous ended, the stored status and the index agree with the last one', async () => {
    const licence = seeded('shandong', SEED, { type: 'e-driving-licence', province: '37' }, 2);
    const token = await issuerToken(stack, 'shandong', licence.issuerCode);
    const fired = Array.from({ length: 18 }, (_, i) => ACTIONS[i % ACTIONS.length]!);
    const answers = await Promise.all(
      fired.map((action, i) =>
        stack.query(`mutation($id: ID!, $reason: String!) { shandong { ${action}(id: $id, reason: $reason) { statusCode } } }`, { id: licence.id, reason: `parallel ${i}` }, { token }),
      ),
    );
    // Every refusal is a refused transition, never an internal error or a lost update.
    const refusals = answers.filter((a) => a.body.errors).map((a) => errorReason(a.body));
    expect(new Set(refusals)).toEqual(new Set(refusals.length ? ['BAD_USER_INPUT/INVALID_TRANSITION'] : []));
    const succeeded = answers.filter((a) => !a.body.errors).length;
    // At least the first command to commit; when that one revokes or cancels, nothing can follow it
    // (which command wins the race is not fixed, so one success is a legitimate outcome).
    expect(succeeded).toBeGreaterThanOrEqual(1);

    const registry = stack.subgraphs.get('shandong')!.db;
    const events = await registry.query<{ action: string; from_status: string; to_status: string; reason: string }>(
      `select action, from_status, to_status, reason from credential_event where credential_id = $1 and reason like 'parallel %' order by seq`,
      [licence.id],
    );
    expect(events).toHaveLength(succeeded);
    let status = '01';
    for (const e of events) {
      const [from, to] = allowed[e.action]!;
      expect(e.from_status, `${e.action} recorded from ${e.from_status} while the credential was ${status}`).toBe(status);
      expect(from).toContain(e.from_status);
      expect(e.to_status).toBe(to);
      status = e.to_status;
    }
    // Once revoked or cancelled nothing else may follow.
    expect(['03', '04']).toContain(status);
    const [stored] = await registry.query<{ status: string }>('select status from credential where id = $1', [licence.id]);
    expect(stored!.status).toBe(status);
    const outbox = await registry.query<{ status: string }>('select status from catalogue_outbox where credential_id = $1 order by seq', [licence.id]);
    expect(outbox.at(-1)!.status).toBe(status);
    expect(outbox).toHaveLength(1 + succeeded); // the issue, then one entry per transition

    await stack.subgraphs.get('catalogue')!.subgraph.settle!();
    const catalogue = stack.subgraphs.get('catalogue')!.db;
    const [indexed] = await catalogue.query<{ status: string }>('select status from holder_index where credential_id = $1', [licence.id]);
    expect(indexed!.status).toBe(status);
  });

  it('corrects a credential once when corrections race: one new version, the rest refused as already corrected', async () => {
    const licence = seeded('shandong', SEED, { type: 'e-driving-licence', province: '37' }, 3);
    const token = await issuerToken(stack, 'shandong', licence.issuerCode);
    const answers = await Promise.all(
      ['C1', 'C2', 'B1', 'B2', 'A1'].map((value) =>
        stack.query(
          `mutation($id: ID!, $value: String!) { shandong { correctCredential(id: $id, reason: "准驾车型更正", changes: [{ field: "face.licenceClass", value: $value }]) { id version } } }`,
          { id: licence.id, value },
          { token },
        ),
      ),
    );
    const winners = answers.filter((a) => !a.body.errors);
    expect(winners).toHaveLength(1);
    expect(winners[0]!.body.data.shandong.correctCredential.version).toBe(2);
    const newId: string = winners[0]!.body.data.shandong.correctCredential.id;
    expect(newId.slice(0, -6)).toBe(licence.id.slice(0, -6)); // same type, issuer and serial
    expect(newId.slice(-6, -1)).toBe('.002.');
    for (const loser of answers.filter((a) => a.body.errors)) {
      expect(loser.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(loser.body.errors[0].message).toContain('was already corrected');
    }
    const registry = stack.subgraphs.get('shandong')!.db;
    const versions = await registry.query<{ version: number }>('select version from credential where serial = $1 order by version', [licence.serial]);
    expect(versions.map((v) => v.version)).toEqual([1, 2]);
  });
});
