/**
 * Annotated copies (加注件): where a rule lets a verifier keep fields, the verifier may take a
 * printable copy stating those fields, who took it, for which service item and business case, and
 * until when it may be relied on. The copy carries a QR code holding a token signed with
 * recognition's own key, the same statements inside, so anyone holding recognition's public key
 * can check a printed or forwarded copy offline (`npm run verify-copy`), and an altered copy fails.
 */
import { existsSync } from 'node:fs';
import { errors, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import type { ServiceSigner } from '../kit/auth/service-keys.js';

export const COPY_TOKEN_TYPE = 'hutong-annotated-copy+jwt';
const ISSUER = 'hutong-recognition';
/** The PDF document-information key the token is also stored under, for tools that read the file. */
export const COPY_TOKEN_INFO_KEY = 'HutongAnnotatedCopy';
/** The longest a copy may be relied on; recognition keys are kept at least this long after rotation. */
export const MAX_COPY_VALID_DAYS = 90;

/** What a copy states; all of it is signed. */
export interface CopyStatement {
  copyId: string;
  verificationId: string;
  credentialId: string;
  credentialType: { code: string; nameZh: string };
  /** Only fields the rule lets the verifier keep, as they were released (masked where the rule masks). */
  fields: { field: string; labelZh: string; value: string; masked: boolean }[];
  verifier: { organisation: string; name: string };
  operator: string;
  serviceItem: { code: string; name: string };
  businessCaseNumber: string;
  /** ISO time the copy was issued. */
  issuedAt: string;
  /** Last day (China date, YYYY-MM-DD) the copy may be relied on. */
  validUntil: string;
}

/** The end of a China date (UTC+8) as a Unix time: a copy is good through its last day. */
const endOfChinaDay = (day: string) => Math.floor((Date.parse(`${day}T00:00:00Z`) + 86_400_000 - 8 * 3600_000) / 1000);

export async function signCopy(signer: ServiceSigner, statement: CopyStatement): Promise<string> {
  const key = await signer.current();
  return new SignJWT({ cpy: statement })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: COPY_TOKEN_TYPE })
    .setIssuer(ISSUER)
    .setJti(statement.copyId)
    .setIssuedAt(Math.floor(Date.parse(statement.issuedAt) / 1000))
    .setExpirationTime(endOfChinaDay(statement.validUntil))
    .sign(key.key);
}

export type CopyCheck =
  | { status: 'VALID'; statement: CopyStatement }
  | { status: 'EXPIRED'; statement: CopyStatement }
  | { status: 'INVALID'; reason: string };

/**
 * Checks a copy's token against recognition's public keys (`keys` accepts only keys bound to
 * recognition). An expired copy is reported with what it stated; anything else wrong is INVALID.
 */
export async function checkCopyToken(token: string, keys: JWTVerifyGetKey, now = new Date()): Promise<CopyCheck> {
  if (token.length > 4096 || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) return { status: 'INVALID', reason: 'not a Hutong annotated-copy token' };
  try {
    const { payload } = await jwtVerify(token, keys, { algorithms: ['ES256', 'RS256'], issuer: ISSUER, typ: COPY_TOKEN_TYPE, requiredClaims: ['jti', 'exp'], currentDate: now });
    return { status: 'VALID', statement: payload.cpy as CopyStatement };
  } catch (error) {
    if (error instanceof errors.JWTExpired) {
      // The signature held; only time ran out. Say what the copy stated, and that it is over.
      const expired = await jwtVerify(token, keys, { algorithms: ['ES256', 'RS256'], issuer: ISSUER, typ: COPY_TOKEN_TYPE, currentDate: new Date(0) }).catch(() => undefined);
      if (expired) return { status: 'EXPIRED', statement: expired.payload.cpy as CopyStatement };
    }
    return { status: 'INVALID', reason: error instanceof errors.JWSSignatureVerificationFailed ? 'the signature does not match: the copy was altered or not issued by Hutong' : (error as Error).message };
  }
}

/**
 * The token a copy's PDF carries in its document information, or null. pdfkit writes the entry as
 * a reference to a string object (`/Key 12 0 R` … `12 0 obj (token) endobj`); both forms are read.
 */
export function copyTokenOfPdf(pdf: Buffer): string | null {
  const text = pdf.toString('latin1');
  const TOKEN = '([A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+)';
  const direct = new RegExp(`/${COPY_TOKEN_INFO_KEY} \\(${TOKEN}\\)`).exec(text);
  if (direct) return direct[1]!;
  const ref = new RegExp(`/${COPY_TOKEN_INFO_KEY} (\\d+) 0 R`).exec(text);
  if (!ref) return null;
  const object = new RegExp(`(?:^|\\n)${ref[1]} 0 obj\\s*\\(${TOKEN}\\)\\s*endobj`).exec(text);
  return object ? object[1]! : null;
}

/** The default font: Debian's fonts-noto-cjk (Simplified Chinese face of the collection). */
export const DEFAULT_COPY_FONT = { file: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc', family: 'NotoSansCJKsc-Regular' };

export class CopyFontMissing extends Error {
  override name = 'CopyFontMissing';
}

/** An A4 PDF of the copy: the statements in Chinese (with English headings) and the QR code. */
export async function renderCopyPdf(statement: CopyStatement, token: string, font = DEFAULT_COPY_FONT): Promise<Buffer> {
  if (!existsSync(font.file)) throw new CopyFontMissing(`annotated copies need a CJK font at ${font.file} (Debian: fonts-noto-cjk; or set HUTONG_COPY_FONT_FILE)`);
  const qr = await QRCode.toBuffer(token, { type: 'png', errorCorrectionLevel: 'L', margin: 4, scale: 4 });
  const doc = new PDFDocument({
    size: 'A4',
    margin: 56,
    info: { Title: `电子证照加注件 ${statement.copyId}`, Author: statement.verifier.name, Subject: 'Hutong annotated copy', Producer: 'Hutong 互通', [COPY_TOKEN_INFO_KEY]: token } as PDFKit.DocumentInfo,
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.registerFont('cjk', font.file, font.family);
  doc.font('cjk');

  doc.fontSize(22).text('电子证照加注件', { align: 'center' });
  doc.fontSize(11).fillColor('#555').text('Annotated copy of an electronic licence — Hutong 互通', { align: 'center' }).moveDown(1);
  // The QR code sits at the top right, the statements flow in the column beside and below it.
  const QR_SIZE = 200;
  const left = doc.page.margins.left;
  const qrLeft = doc.page.width - doc.page.margins.right - QR_SIZE;
  const top = doc.y;
  doc.image(qr, qrLeft, top, { width: QR_SIZE });
  doc.fontSize(8).fillColor('#555').text('扫码或 npm run verify-copy 离线核验 · Check offline', qrLeft, top + QR_SIZE + 2, { width: QR_SIZE, align: 'center' });
  doc.x = left;
  doc.y = top;
  const column = () => (doc.y < top + QR_SIZE + 20 ? qrLeft - left - 16 : doc.page.width - left - doc.page.margins.right);
  const line = (labelZh: string, label: string, value: string) => {
    doc.fontSize(9).fillColor('#555').text(`${labelZh}  ${label}`, left, doc.y, { width: column() });
    doc.fontSize(12).fillColor('#000').text(value, left, doc.y, { width: column() }).moveDown(0.35);
  };
  const heading = (text: string) => doc.moveDown(0.2).fontSize(13).fillColor('#000').text(text, left, doc.y, { width: column() }).moveDown(0.25);
  line('证照类型', 'Credential type', `${statement.credentialType.nameZh} (${statement.credentialType.code})`);
  line('证照标识', 'Credential identifier', statement.credentialId);
  heading('留存信息 Retained fields');
  for (const f of statement.fields) line(f.labelZh, f.field, f.masked ? `${f.value}（已脱敏 masked）` : f.value);
  heading('用证信息 Use');
  line('用证单位', 'Verifier', `${statement.verifier.name} (${statement.verifier.organisation})`);
  line('经办人', 'Operator', statement.operator);
  line('办理事项', 'Service item', `${statement.serviceItem.name} (${statement.serviceItem.code})`);
  line('业务编号', 'Business case', statement.businessCaseNumber);
  line('出具时间', 'Issued', statement.issuedAt);
  line('有效期至', 'Valid until (China date, inclusive)', statement.validUntil);
  doc.moveDown(0.8).fontSize(10).fillColor('#000').text(
    `本加注件仅用于“${statement.serviceItem.name}”业务 ${statement.businessCaseNumber}，有效期至 ${statement.validUntil}；二维码内含签名的上述信息，可离线核验。\n` +
      `Valid only for this service item and business case, until ${statement.validUntil}. The QR code holds the signed statements above.\n` +
      `加注件编号 Copy ${statement.copyId}`,
    left,
    doc.y,
    { width: doc.page.width - left - doc.page.margins.right },
  );
  doc.end();
  return done;
}
