/**
 * Free text that reaches SQL — reasons, claims, holder names, numbers, face values, correction
 * values, the usage context — on both database drivers Hutong runs on. Whatever a caller sends
 * is either stored and read back byte for byte, or refused with BAD_USER_INPUT / INVALID_TEXT
 * before any SQL runs; never altered, never an internal error, never a half-written change.
 */
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphQLError } from 'graphql';
import type { Caller } from '../../subgraphs/kit/auth/caller.js';
import { openDatabase, type Database } from '../../subgraphs/kit/db.js';
import { RegistryCommands } from '../../subgraphs/kit/registry/commands.js';
import { RecordStore, type UsageRecord } from '../../subgraphs/kit/registry/records.js';
import { CredentialStore } from '../../subgraphs/kit/registry/store.js';
import { prepareDatabase } from '../../subgraphs/kit/run.js';
import { checkFreeText } from '../../subgraphs/kit/text.js';
import { subgraphs } from '../../subgraphs/index.js';
import { RecognitionStore, type VerificationRow } from '../../subgraphs/recognition/db/store.js';
import { moverAt, region, seedCredential } from '../support/fixtures.js';
import { createPostgresDatabase } from '../support/stack.js';

const moduleNamed = (name: string) => subgraphs.find((m) => m.name === name)!;
const yangtzeDelta = region('yangtze-delta');
const SEED = 40;
/** Seed indices of credentials stored as valid (status 01), which a suspension can start from. */
const validIndices = Array.from({ length: SEED }, (_, k) => k).filter((k) => seedCredential(yangtzeDelta, k).status === '01');

/** Hostile pieces, combined by fast-check with arbitrary text of every kind. */
const pieces = [
  "'", "''", '"', '\\', '\\\\', "\\'", '`', ';', '--', '/*', '*/', '%', '_', '$1', '$$', ':name', '?',
  "' OR '1'='1", "'); DROP TABLE credential; --", 'E\'\\x00\'', '\\u0000', '\u0000', '\u0001', '\u001b[31m', '\u007f',
  '\u202e', '\u200f', '\u200e', '\u2066', '\ufeff', '\u00a0', '\u3000', '😀', '👩‍👩‍👧', '🇨🇳', '\ud800', '\udfff', '\udc00\ud800',
  '张三', '上海市黄浦区', '\n', '\r\n', '\t', ' ',
];
const hostileText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  // Any UTF-16 unit, lone surrogates included.
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n)), maxLength: 40 }),
  fc.array(fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 5 })), { minLength: 1, maxLength: 8 }).map((a) => a.join('')),
  fc.constantFrom('x'.repeat(10_000), '长'.repeat(10_000), `${'a'.repeat(499)}😀`, 'a'.repeat(500), 'a'.repeat(501)),
);

type Outcome<T = unknown> = { stored: true; value: T } | { stored: false; error: GraphQLError };
async function outcome<T>(work: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { stored: true, value: await work() };
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error; // a driver error or crash fails the property
    return { stored: false, error };
  }
}
function expectRefusedAsText(o: Outcome, text: string): void {
  expect(o.stored, `should refuse ${JSON.stringify(text).slice(0, 80)}`).toBe(false);
  if (!o.stored) expect(o.error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_TEXT' });
}
const utf8 = (s: string) => Buffer.from(s, 'utf8').toString('hex');

for (const kind of ['pglite', 'postgres'] as const) {
  describe(`free text on ${kind}`, () => {
    let registryDb: Database;
    let recognitionDb: Database;
    const drops: (() => Promise<void>)[] = [];
    let commands: RegistryCommands;
    const issuerOrg = seedCredential(yangtzeDelta, 0).issuerCode;
    const issuer: Caller = { role: 'issuer', region: 'yangtze-delta', organisation: issuerOrg, subject: 'fuzz-issuer' };

    async function open(name: string): Promise<Database> {
      if (kind === 'pglite') return openDatabase({ dataDir: 'memory://' });
      const created = await createPostgresDatabase(`hutong_text_${randomBytes(4).toString('hex')}_${name.replaceAll('-', '_')}`);
      drops.push(created.drop);
      return openDatabase({ url: created.url, poolSize: 2 });
    }

    beforeAll(async () => {
      registryDb = await open('yangtze-delta');
      await prepareDatabase(moduleNamed('yangtze-delta'), registryDb);
      await moduleNamed('yangtze-delta').seed!(registryDb, SEED, () => {});
      recognitionDb = await open('recognition');
      await prepareDatabase(moduleNamed('recognition'), recognitionDb);
      commands = new RegistryCommands(registryDb, yangtzeDelta);
    });
    afterAll(async () => {
      await registryDb?.close();
      await recognitionDb?.close();
      for (const drop of drops) await drop();
    });

    const lastEvent = async (id: string) =>
      (await registryDb.query<{ seq: string; reason: string }>('select seq::text, reason from credential_event where credential_id = $1 order by credential_event.seq desc limit 1', [id]))[0];

    it('refuses the texts that cannot be stored exactly, and stores the rest byte for byte (literal cases)', async () => {
      const id = seedCredential(yangtzeDelta, validIndices[0]!).id;
      const cases: [string, 'stored' | 'refused'][] = [
        ["O'Brien; DROP TABLE credential; --", 'stored'],
        ['C:\\路径\\文件 \\x00', 'stored'],
        ['暂扣 😀 👩‍👩‍👧 🇨🇳', 'stored'],
        ['\u202e右到左\u200f mark', 'stored'],
        ['line one\nline two\ttabbed', 'stored'],
        ['a'.repeat(500), 'stored'],
        ['a'.repeat(501), 'refused'],
        ['x'.repeat(10_000), 'refused'],
        ['nul \u0000 inside', 'refused'],
        ['escape \u001b[31m', 'refused'],
        ['lone high \ud800', 'refused'],
        ['lone low \udc00 first', 'refused'],
        ['\ufeffbyte-order mark first', 'refused'],
        ['zero-width no-break space \ufeff inside', 'stored'],
        ['   ', 'refused'],
        ['', 'refused'],
      ];
      for (const [reason, expected] of cases) {
        const before = await lastEvent(id);
        const suspended = await outcome(() => commands.changeStatus(issuer, id, 'SUSPEND', reason));
        if (expected === 'refused') {
          expectRefusedAsText(suspended, reason);
          expect(await lastEvent(id)).toEqual(before);
        } else {
          expect(suspended.stored, JSON.stringify(reason).slice(0, 60)).toBe(true);
          expect(utf8((await lastEvent(id))!.reason)).toBe(utf8(reason));
          await commands.changeStatus(issuer, id, 'RESTORE', reason);
        }
      }
    });

    it('status-change reasons: stored exactly or refused, never altered', async () => {
      const id = seedCredential(yangtzeDelta, validIndices[1]!).id;
      await fc.assert(
        fc.asyncProperty(hostileText, async (reason) => {
          const before = await lastEvent(id);
          const o = await outcome(() => commands.changeStatus(issuer, id, 'SUSPEND', reason));
          if (!o.stored) {
            expectRefusedAsText(o, reason);
            expect(await lastEvent(id)).toEqual(before);
            return;
          }
          const stored = (await lastEvent(id))!.reason;
          // Restored before asserting: a failure must not leave the credential suspended for the shrinking runs.
          await commands.changeStatus(issuer, id, 'RESTORE', 'restored after fuzzing');
          expect(utf8(stored)).toBe(utf8(reason));
        }),
        { numRuns: 60 },
      );
    });

    it('holder names, numbers and face values of a new credential: stored exactly or refused', async () => {
      await fc.assert(
        fc.asyncProperty(hostileText, hostileText, hostileText, async (holderName, number, address) => {
          const input = {
            typeCode: '11100000HT00000183001', // e-ID, which has an address face field
            holderCode: moverAt(1).code,
            holderName,
            number,
            issueDate: '2026-11-30',
            areaCode: '320100',
            faceFields: [{ key: 'address', value: address }],
          };
          const o = await outcome(() => commands.issue(issuer, input));
          if (!o.stored) return expectRefusedAsText(o, `${holderName}|${number}|${address}`);
          const [stored] = await new CredentialStore(registryDb).findByIds([o.value.id]);
          expect([utf8(stored!.holderName), utf8(stored!.number), utf8(stored!.face.address!)]).toEqual([utf8(holderName), utf8(number), utf8(address)]);
        }),
        { numRuns: 40 },
      );
    });

    it('correction values and reasons: the new version holds them exactly, or nothing changes', async () => {
      let k = 20;
      await fc.assert(
        fc.asyncProperty(hostileText, hostileText, async (value, reason) => {
          const current = seedCredential(yangtzeDelta, k++);
          const o = await outcome(() => commands.correct(issuer, current.id, [{ field: 'holderName', value }], reason));
          const [after] = await new CredentialStore(registryDb).findByIds([current.id]);
          if (!o.stored) {
            expectRefusedAsText(o, `${value}|${reason}`);
            expect(after!.supersededBy ?? null).toBeNull();
            k--; // still correctable: use it again
            return;
          }
          const [next] = await new CredentialStore(registryDb).findByIds([after!.supersededBy!]);
          expect(utf8(next!.holderName)).toBe(utf8(value));
          expect((await lastEvent(current.id))!.reason).toBe(`${reason} (superseded by ${next!.id})`);
        }),
        { numRuns: 15 },
      );
    });

    it('dispute claims: what the product lets through is stored exactly', async () => {
      const records = new RecordStore(registryDb);
      const credentialId = seedCredential(yangtzeDelta, 1).id;
      await fc.assert(
        fc.asyncProperty(hostileText, async (claim) => {
          // The recognition service checks the claim, then the registry stores it.
          const o = await outcome(async () => {
            checkFreeText('claim', claim, 1000);
            const filed = await records.fileDispute({ id: randomBytes(8).toString('hex'), credentialId, field: 'holderName', claim, filedByRole: 'holder', filedBy: 'holder' });
            expect(utf8((await records.dispute(filed.id))!.claim)).toBe(utf8(claim));
          });
          if (!o.stored) expectRefusedAsText(o, claim);
        }),
        { numRuns: 60 },
      );
    });

    it('usage context: stored exactly in the usage record and in the verification, or refused', async () => {
      const records = new RecordStore(registryDb);
      const recognition = new RecognitionStore(recognitionDb);
      const credentialId = seedCredential(yangtzeDelta, 1).id;
      await fc.assert(
        fc.asyncProperty(hostileText, hostileText, hostileText, async (operator, businessCaseNumber, serviceItemName) => {
          const context = { organisation: '91310101HW7470291X', operator, serviceItemName, serviceItemCode: 'HT-ZS-0001', businessCaseNumber };
          const id = randomBytes(8).toString('hex');
          const o = await outcome(async () => {
            for (const [key, value] of Object.entries(context)) checkFreeText(key, value, 200);
            const record: UsageRecord = {
              id, credentialId, verifierOrg: context.organisation, verifierName: '上海外滩江景酒店有限公司', verifierRegion: 'yangtze-delta',
              operator, scenario: 'hotel-check-in', scenarioName: '旅馆住宿登记', serviceItemName, serviceItemCode: 'HT-ZS-0001',
              businessCaseNumber, releasedFields: [], verdict: 'ACCEPTED', reasons: [], ruleId: 'yrd-hotel-e-id', ruleVersion: 1,
              verifiedAt: '2026-11-30T08:00:00.000Z',
            };
            expect(await records.addUsageRecord(record)).toBe(true);
            const verification: VerificationRow = {
              id, codeJti: id, credentialId, issuingRegion: 'yangtze-delta', verifierOrg: context.organisation, verifierRegion: 'yangtze-delta',
              scenario: 'hotel-check-in', context, verdict: 'ACCEPTED', reasons: [], ruleId: 'yrd-hotel-e-id', ruleVersion: 1, disputed: false, disputedFields: [],
              releasedFields: [], trace: [], usageRecorded: true, checkedAt: '2026-11-30T08:00:00.000Z',
            };
            await recognition.addVerification(verification);
          });
          if (!o.stored) return expectRefusedAsText(o, `${operator}|${businessCaseNumber}|${serviceItemName}`);
          const stored = (await records.usageRecordsFor([credentialId])).find((r) => r.id === id)!;
          expect([utf8(stored.operator), utf8(stored.businessCaseNumber), utf8(stored.serviceItemName)]).toEqual([utf8(operator), utf8(businessCaseNumber), utf8(serviceItemName)]);
          const kept = await recognition.verification(id);
          expect(kept!.context).toEqual(context);
        }),
        { numRuns: 40 },
      );
    });
  });
}
