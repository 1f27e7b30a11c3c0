import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import jsQRModule from 'jsqr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedSigner, ServiceKeySet } from '../../subgraphs/kit/auth/service-keys.js';
import { generateSigningKeyPair, publicPart, signingKeyFromJwk } from '../../subgraphs/kit/auth/keys.js';
import { checkCopyToken, copyTokenOfPdf, renderCopyPdf, signCopy, type CopyStatement } from '../../subgraphs/recognition/annotated-copy.js';

// jsqr is CommonJS with its function on `default`; Node's ESM loader and vitest's differ in how they show it.
type Decode = (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;
const loaded = jsQRModule as unknown as Decode | { default: Decode };
const jsQR: Decode = typeof loaded === 'function' ? loaded : loaded.default;

const statement: CopyStatement = {
  copyId: '6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f',
  verificationId: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
  credentialId: '1.2.156.3005.2.11100000HT00000183001.11320000HT637706XL.202200000001.001.4',
  credentialType: { code: '11100000HT00000183001', nameZh: '居民身份证' },
  fields: [
    { field: 'holderName', labelZh: '持证主体', value: '周雨桐', masked: false },
    { field: 'holderCode', labelZh: '持证主体代码', value: '320100197202028039', masked: false },
  ],
  verifier: { organisation: '91310000HT12345678', name: '上海外滩江景酒店有限公司' },
  operator: '前台 0420',
  serviceItem: { code: 'HT-ZS-0001', name: '酒店入住登记' },
  businessCaseNumber: 'CASE-20261201-0007',
  issuedAt: '2026-12-01T03:00:00.000Z',
  validUntil: '2026-12-31',
};

let recognitionKeys: ServiceKeySet;
let sign: (s: CopyStatement) => Promise<string>;
let signAsGateway: (s: CopyStatement) => Promise<string>;
const dir = mkdtempSync(path.join(tmpdir(), 'hutong-copy-'));

beforeAll(async () => {
  const recognition = await generateSigningKeyPair('recognition-copy-1', 'ES256');
  const gateway = await generateSigningKeyPair('gateway-1', 'ES256');
  recognitionKeys = await ServiceKeySet.of({
    keys: [
      { ...publicPart(recognition.publicJwk), service: 'recognition' },
      { ...publicPart(gateway.publicJwk), service: 'gateway' },
    ] as never,
  });
  const recognitionSigner = fixedSigner('recognition', await signingKeyFromJwk(recognition.privateJwk));
  const gatewaySigner = fixedSigner('gateway', await signingKeyFromJwk(gateway.privateJwk));
  sign = (s) => signCopy(recognitionSigner, s);
  signAsGateway = (s) => signCopy(gatewaySigner, s);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const check = (token: string, at: string) => checkCopyToken(token, recognitionKeys.verifier(['recognition']), new Date(at));

describe('an annotated copy’s signed statements', () => {
  it('are valid through the last day of validity, China time, and expired a second later', async () => {
    const token = await sign(statement);
    // 2026-12-31 ends at 16:00 UTC.
    expect(await check(token, '2026-12-31T15:59:59Z')).toEqual({ status: 'VALID', statement });
    expect(await check(token, '2026-12-31T16:00:01Z')).toEqual({ status: 'EXPIRED', statement });
  });

  it('fail when a single statement is altered', async () => {
    const token = await sign(statement);
    const [header, payload, signature] = token.split('.');
    const altered = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    altered.cpy.validUntil = '2027-12-31';
    const forged = `${header}.${Buffer.from(JSON.stringify(altered)).toString('base64url')}.${signature}`;
    expect(await check(forged, '2026-12-15T00:00:00Z')).toEqual({ status: 'INVALID', reason: 'the signature does not match: the copy was altered or not issued by Hutong' });
  });

  it('fail when signed by any service but recognition', async () => {
    const result = await check(await signAsGateway(statement), '2026-12-15T00:00:00Z');
    expect(result.status).toBe('INVALID');
  });

  it('fail for text that is not a token', async () => {
    expect(await check('not a token', '2026-12-15T00:00:00Z')).toEqual({ status: 'INVALID', reason: 'not a Hutong annotated-copy token' });
  });
});

describe('the printable copy', () => {
  let pdf: Buffer;
  let token: string;
  beforeAll(async () => {
    token = await sign(statement);
    pdf = await renderCopyPdf(statement, token);
    writeFileSync(path.join(dir, 'copy.pdf'), pdf);
  });

  it('is a PDF carrying the signed token in its document information', () => {
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(copyTokenOfPdf(pdf)).toBe(token);
  });

  it('renders to an image whose QR code holds the same token', () => {
    // Rendered by poppler (pdftoppm) at 300 dpi, as a PPM image, and read back with a QR decoder.
    execFileSync('pdftoppm', ['-r', '300', '-f', '1', '-l', '1', path.join(dir, 'copy.pdf'), path.join(dir, 'page')]);
    const ppm = readFileSync(path.join(dir, 'page-1.ppm'));
    const header = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(ppm.subarray(0, 40).toString('latin1'))!;
    const [width, height] = [Number(header[1]), Number(header[2])];
    const rgb = ppm.subarray(header[0].length);
    const rgba = new Uint8ClampedArray(width * height * 4);
    for (let i = 0; i < width * height; i++) {
      rgba[i * 4] = rgb[i * 3]!;
      rgba[i * 4 + 1] = rgb[i * 3 + 1]!;
      rgba[i * 4 + 2] = rgb[i * 3 + 2]!;
      rgba[i * 4 + 3] = 255;
    }
    // An A4 page (210 × 297 mm) at 300 dpi, give or take a pixel of rounding.
    expect(Math.abs(width - 2480)).toBeLessThanOrEqual(1);
    expect(Math.abs(height - 3508)).toBeLessThanOrEqual(1);
    expect(jsQR(rgba, width, height)?.data).toBe(token);
  });

  it('states the retained fields and the use in its text', () => {
    execFileSync('pdftotext', ['-enc', 'UTF-8', path.join(dir, 'copy.pdf'), path.join(dir, 'copy.txt')]);
    const text = readFileSync(path.join(dir, 'copy.txt'), 'utf8');
    for (const expected of ['电子证照加注件', '周雨桐', '320100197202028039', '上海外滩江景酒店有限公司', 'HT-ZS-0001', 'CASE-20261201-0007', '2026-12-31']) {
      expect(text).toContain(expected);
    }
  });
});
