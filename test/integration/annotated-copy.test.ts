/**
 * Annotated copies (加注件) end to end: a hotel that checked a Jiangsu e-ID takes a copy of the
 * fields the rule lets it keep; the copy is a PDF whose signed token `npm run verify-copy` checks
 * offline with recognition's public key, and the holder sees the copy as a usage record.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyTokenOfPdf } from '../../subgraphs/recognition/annotated-copy.js';
import { startStack, TEST_SEED_COUNT, type Stack } from '../support/stack.js';
import { holderToken, presentAndVerify, seeded, verifierNamed, verifierToken } from '../support/verification.js';

const shanghaiHotel = verifierNamed('上海外滩江景酒店有限公司');
const nanjingHotel = verifierNamed('南京玄武湖畔宾馆有限公司');
const repo = path.resolve(import.meta.dirname, '../..');
const work = mkdtempSync(path.join(tmpdir(), 'hutong-copies-'));

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
  rmSync(work, { recursive: true, force: true });
});

const COPY = `mutation($id: ID!, $days: Int) {
  issueAnnotatedCopy(verificationId: $id, validDays: $days) { id verificationId validUntil fields { field labelZh value masked } token pdfBase64 usageRecorded }
}`;
const takeCopy = async (verificationId: string, days?: number, verifier = shanghaiHotel) =>
  stack.query(COPY, { id: verificationId, days }, { token: await verifierToken(stack, verifier) });
const chinaDayPlus = (days: number) => new Date(Date.now() + 8 * 3600_000 + days * 86_400_000).toISOString().slice(0, 10);
const eid = () => seeded('yangtze-delta', TEST_SEED_COUNT, { type: 'e-id', province: '32' });

describe('an annotated copy', () => {
  it('states only the retained fields, is valid offline for the days asked, and reaches the holder as a usage record', async () => {
    const credential = eid();
    const verification = await presentAndVerify(stack, credential, shanghaiHotel, 'hotel-check-in');
    const { status, body } = await takeCopy(verification.id, 7);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const copy = body.data.issueAnnotatedCopy;
    // The hotel rule releases four fields and lets the hotel keep two (name and ID number).
    expect(copy.fields).toEqual([
      { field: 'holderName', labelZh: '持证主体', value: credential.holderName, masked: false },
      { field: 'holderCode', labelZh: '持证主体代码', value: credential.holderCode, masked: false },
    ]);
    expect(copy.validUntil).toBe(chinaDayPlus(6));
    expect(copy.usageRecorded).toBe(true);

    const pdf = Buffer.from(copy.pdfBase64, 'base64');
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(copyTokenOfPdf(pdf)).toBe(copy.token);
    const file = path.join(work, 'copy.pdf');
    writeFileSync(file, pdf);
    const verified = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/verify-copy.ts', file, '--jwks', stack.keyFiles.internalJwks], { cwd: repo });
    expect(verified.stdout.split('\n')[0]).toBe(`VALID: an annotated copy issued by Hutong, valid through ${copy.validUntil} (China date).`);
    expect(verified.stdout).toContain(credential.holderCode);
    // After its last day the same copy is reported expired, exit code 1.
    const later = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/verify-copy.ts', file, '--jwks', stack.keyFiles.internalJwks, '--at', `${chinaDayPlus(7)}T00:00:01+08:00`], { cwd: repo }).catch((e: { code: number; stdout: string }) => e);
    expect((later as { code: number }).code).toBe(1);
    expect((later as { stdout: string }).stdout.split('\n')[0]).toBe(`EXPIRED: the copy was valid through ${copy.validUntil} (China date).`);

    const records = await stack.query(
      `query($id: ID!) { credential(id: $id) { usageRecords { nodes { id channel releasedFields verdict verifierName } } } }`,
      { id: credential.id },
      { token: await holderToken(stack, credential.holderCode) },
    );
    expect(records.body.errors).toBeUndefined();
    expect(records.body.data.credential.usageRecords.nodes).toContainEqual({
      id: copy.id, channel: 'ANNOTATED_COPY', releasedFields: ['holderName', 'holderCode'], verdict: 'ACCEPTED', verifierName: '上海外滩江景酒店有限公司',
    });
  });

  it('is taken once per verification', async () => {
    const verification = await presentAndVerify(stack, eid(), shanghaiHotel, 'hotel-check-in');
    expect((await takeCopy(verification.id)).body.errors).toBeUndefined();
    const again = await takeCopy(verification.id);
    expect(again.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'COPY_EXISTS' });
  });

  it('is for the verifier that made the verification only', async () => {
    const verification = await presentAndVerify(stack, eid(), shanghaiHotel, 'hotel-check-in');
    const { status, body } = await takeCopy(verification.id, undefined, nanjingHotel);
    expect(status).toBe(403);
    expect(body.errors[0].extensions.code).toBe('FORBIDDEN');
  });

  it.each([
    [0, 'validDays must be 1–90 (got 0).'],
    [91, 'validDays must be 1–90 (got 91).'],
  ])('refuses validDays %i with BAD_USER_INPUT', async (days, message) => {
    const verification = await presentAndVerify(stack, eid(), shanghaiHotel, 'hotel-check-in');
    const { body } = await takeCopy(verification.id, days);
    expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(body.errors[0].message).toBe(message);
  });

  it('accepts 90 days, the longest', async () => {
    const verification = await presentAndVerify(stack, eid(), shanghaiHotel, 'hotel-check-in');
    const { body } = await takeCopy(verification.id, 90);
    expect(body.errors).toBeUndefined();
    expect(body.data.issueAnnotatedCopy.validUntil).toBe(chinaDayPlus(89));
  });

  it('refuses a verification that was not accepted', async () => {
    // A Shandong e-ID is not recognised at a Shanghai hotel: there is no rule for it.
    const shandongEid = seeded('shandong', TEST_SEED_COUNT, { type: 'e-id', province: '37' });
    const verification = await presentAndVerify(stack, shandongEid, shanghaiHotel, 'hotel-check-in');
    expect(verification.verdict).toBe('NOT_RECOGNISED');
    const { body } = await takeCopy(verification.id);
    expect(body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'VERIFICATION_NOT_ACCEPTED' });
  });
});
