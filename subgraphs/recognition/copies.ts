/**
 * Issuing annotated copies (加注件) through the graph: the checks before a copy is made, the copy
 * and its usage record written together, then the record delivered (or left to the usage relay).
 */
import { randomUUID } from 'node:crypto';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import type { ServiceSigner } from '../kit/auth/service-keys.js';
import type { Database } from '../kit/db.js';
import { badInput, forbidden, notFound } from '../kit/errors.js';
import type { Logger } from '../kit/logger.js';
import { credentialTypeByCode } from '../kit/reference.js';
import type { UsageRecordRequest } from '../kit/registry/contract.js';
import { addDays, todayInChina } from '../kit/days.js';
import { parseCredentialId } from '../kit/routing.js';
import { CopyFontMissing, MAX_COPY_VALID_DAYS, renderCopyPdf, signCopy, type CopyStatement } from './annotated-copy.js';
import { deadlineSignal } from '../kit/deadline.js';
import type { RegistryClient } from './registry-client.js';
import type { RecognitionContext } from './resolvers/context.js';

/** A copy is taken at the counter, right after the check, not weeks later. */
export const COPY_WINDOW_HOURS = 24;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface CopyServiceDeps {
  db: Database;
  signer: ServiceSigner;
  registries: RegistryClient;
  logger: Logger;
  font?: { file: string; family: string };
  /** Deadline of the usage record's first delivery; after it the relay delivers. */
  deliveryTimeoutMs: number;
}

export function copyResolvers(deps: CopyServiceDeps): GraphQLResolverMap<RecognitionContext> {
  return {
    Mutation: {
      async issueAnnotatedCopy(_: unknown, args: { verificationId: string; validDays?: number | null }, ctx: RecognitionContext) {
        const caller = ctx.caller;
        if (caller.role !== 'verifier' || !caller.organisation) throw forbidden('Only the verifier that made a verification can take an annotated copy of it.');
        const validDays = args.validDays ?? 30;
        if (!Number.isInteger(validDays) || validDays < 1 || validDays > MAX_COPY_VALID_DAYS) {
          throw badInput(`validDays must be 1–${MAX_COPY_VALID_DAYS} (got ${validDays}).`, { field: 'validDays' });
        }
        if (!UUID.test(args.verificationId)) throw badInput('A verification id is a UUID.', { argument: 'verificationId' });
        const verification = await ctx.store.verification(args.verificationId);
        if (!verification) throw notFound(`No verification ${args.verificationId}.`);
        if (verification.verifierOrg !== caller.organisation) throw forbidden('Only the verifier that made a verification can take an annotated copy of it.');
        if (verification.verdict !== 'ACCEPTED') {
          throw badInput(`The verification was ${verification.verdict}: only an accepted verification's fields can be copied.`, { reason: 'VERIFICATION_NOT_ACCEPTED' });
        }
        const ageHours = (Date.now() - Date.parse(verification.checkedAt)) / 3_600_000;
        if (ageHours > COPY_WINDOW_HOURS) {
          throw badInput(`The verification was made more than ${COPY_WINDOW_HOURS} hours ago: check the credential again to take a copy.`, { reason: 'COPY_TOO_LATE' });
        }
        // Only what the rule lets the verifier keep, and only values it actually received.
        const fields = verification.releasedFields
          .filter((f) => f.retain && f.value !== null && !(f as { withheld?: boolean }).withheld)
          .map((f) => ({ field: f.field, labelZh: f.labelZh ?? f.label, value: f.value!, masked: f.masked ?? false }));
        if (fields.length === 0) throw badInput('The rule lets the verifier keep none of the released fields: there is nothing to copy.', { reason: 'NOTHING_RETAINED' });

        const verifier = await ctx.store.verifier(verification.verifierOrg);
        const scenario = (await ctx.store.scenarios()).find((s) => s.code === verification.scenario);
        const { typeCode } = parseCredentialId(verification.credentialId);
        const issuedAt = new Date().toISOString();
        const statement: CopyStatement = {
          copyId: randomUUID(),
          verificationId: verification.id,
          credentialId: verification.credentialId,
          credentialType: { code: typeCode, nameZh: credentialTypeByCode(typeCode)?.nameZh ?? typeCode },
          fields,
          verifier: { organisation: verification.verifierOrg, name: verifier?.name ?? verification.verifierOrg },
          operator: verification.context.operator ?? '',
          serviceItem: { code: verification.context.serviceItemCode ?? '', name: verification.context.serviceItemName ?? '' },
          businessCaseNumber: verification.context.businessCaseNumber ?? '',
          issuedAt,
          validUntil: addDays(todayInChina(), validDays - 1),
        };
        const token = await signCopy(deps.signer, statement);
        let pdf: Buffer;
        try {
          pdf = await renderCopyPdf(statement, token, deps.font);
        } catch (error) {
          if (error instanceof CopyFontMissing) {
            deps.logger.error({ detail: error.message }, 'annotated copy refused: no CJK font');
            throw new Error('Annotated copies are not available on this server (its CJK font is missing).');
          }
          throw error;
        }

        const record: UsageRecordRequest = {
          id: statement.copyId,
          credentialId: verification.credentialId,
          verifierOrg: verification.verifierOrg,
          verifierName: statement.verifier.name,
          verifierRegion: verification.verifierRegion,
          operator: statement.operator,
          scenario: verification.scenario,
          scenarioName: scenario?.nameZh ?? verification.scenario,
          serviceItemName: statement.serviceItem.name,
          serviceItemCode: statement.serviceItem.code,
          businessCaseNumber: statement.businessCaseNumber,
          releasedFields: fields.map((f) => f.field),
          verdict: 'ACCEPTED',
          reasons: [],
          ruleId: verification.ruleId,
          ruleVersion: verification.ruleVersion,
          verifiedAt: issuedAt,
          channel: 'ANNOTATED_COPY',
        };
        const stored = await deps.db.transaction(async (tx) => {
          const inserted = await tx.query(
            `insert into annotated_copy (id, verification_id, verifier_org, issued_at, valid_until, token)
             values ($1, $2, $3, $4, $5, $6) on conflict (verification_id) do nothing returning id`,
            [statement.copyId, verification.id, verification.verifierOrg, issuedAt, statement.validUntil, token],
          );
          if (inserted.length === 0) return false;
          await tx.query(`insert into usage_outbox (verification_id, region_code, record) values ($1, $2, $3::jsonb)`, [
            statement.copyId,
            verification.issuingRegion,
            JSON.stringify(record),
          ]);
          return true;
        });
        if (!stored) throw badInput('An annotated copy of this verification was already taken.', { reason: 'COPY_EXISTS' });

        let usageRecorded = false;
        try {
          const deadline = deadlineSignal(deps.deliveryTimeoutMs);
          await deps.registries.recordUsage(verification.issuingRegion, record as never, { signal: deadline.signal }).finally(deadline.done);
          await ctx.store.markUsageDelivered(statement.copyId);
          usageRecorded = true;
        } catch (error) {
          deps.logger.warn({ region: verification.issuingRegion, reason: (error as Error).message }, 'annotated copy usage record queued for the relay');
        }
        return { id: statement.copyId, verificationId: verification.id, validUntil: statement.validUntil, fields, token, pdfBase64: pdf.toString('base64'), usageRecorded };
      },
    },
  };
}
