import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import type { Caller } from '../auth/caller.js';
import { forbidden, notFound, unauthenticated } from '../errors.js';
import { mask } from '../masking.js';
import { credentialTypeByCode, holderTypes, statusCodes, type Region } from '../reference.js';
import type { CredentialRecord } from '../seed/credentials.js';
import type { IssueInput, RegistryCommands } from './commands.js';
import type { RegistryLoaders } from './loaders.js';
import { verdictReasons } from './contract.js';
import { disputePages, usageRecordPages, type UsageRecord } from './records.js';
import type { PageArgs } from '../pages.js';
import type { StoredCredential } from './store.js';
import { effectiveStatus } from './status.js';

export interface RegistryContext {
  caller: Caller;
  loaders: RegistryLoaders;
  commands: RegistryCommands;
}

const isOwnHolder = (caller: Caller, credential: CredentialRecord) => caller.role === 'holder' && caller.holderCode === credential.holderCode;
const isOwnIssuer = (caller: Caller, region: Region) => caller.role === 'issuer' && caller.region === region.code;

/**
 * A credential record is its holder's, its issuing region's and auditors' (admin) business.
 * Verifiers never read records here: they get what a verification releases.
 */
function assertMayReadCredential(caller: Caller, credential: CredentialRecord, region: Region): void {
  // As for fields: a caller who has not signed in is told to, not that the record is someone else's.
  if (caller.role === 'anonymous') throw unauthenticated(`Sign in to read a credential: it is visible to its holder, to ${region.name} issuers and to auditors only.`);
  if (!isOwnHolder(caller, credential) && !isOwnIssuer(caller, region) && caller.role !== 'admin') {
    throw forbidden(
      caller.role === 'holder'
        ? 'This credential belongs to another holder.'
        : `A credential is visible to its holder, to ${region.name} issuers and to auditors only.`,
    );
  }
}

/** Names and holder codes in full for the holder and the issuing region; masked for auditors. */
function personal(value: string, caller: Caller, credential: CredentialRecord, region: Region): string {
  return isOwnHolder(caller, credential) || isOwnIssuer(caller, region) ? value : mask(value);
}

const knownReasons = new Set<string>(verdictReasons);

/**
 * A stored usage record as the graph shows it: the scenario as a reference recognition resolves,
 * and the verdict and reasons as the shared enums. The service API takes only these verdicts and
 * reasons; a reason stored before it checked them, unknown to the enum, is left out rather than
 * failing the holder's whole list.
 */
export function usageRecordOut(r: UsageRecord) {
  return { ...r, verifierOrganisation: r.verifierOrg, scenario: { code: r.scenario }, reasons: r.reasons.filter((x) => knownReasons.has(x)) };
}

const camel = (code: string) => code.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Resolvers of a regional registry for the region's own types (`<Prefix>Credential`,
 * `<Prefix>Region`). A region's `resolvers.ts` spreads these and may add its own fields.
 */
type StatusArgs = { id: string; reason: string };
type CorrectArgs = { id: string; changes: { field: string; value: string }[]; reason: string; disputeId?: string | null };

export function registryResolvers(region: Region): GraphQLResolverMap<RegistryContext> {
  return {
    [`${region.typePrefix}Credential`]: {
      async __resolveReference(ref: { id: string }, ctx: RegistryContext) {
        const credential = await ctx.loaders.credential.load(ref.id);
        if (!credential) {
          throw notFound(`No credential with identifier ${ref.id} in the ${region.name} registry.`, {
            registry: region.code,
          });
        }
        assertMayReadCredential(ctx.caller, credential, region);
        return credential;
      },
      holderName: (c: CredentialRecord, _: unknown, ctx: RegistryContext) => personal(c.holderName, ctx.caller, c, region),
      holderCode: (c: CredentialRecord, _: unknown, ctx: RegistryContext) => personal(c.holderCode, ctx.caller, c, region),
      // The whole reference entry: its names are served from here (shareable), the rest by the catalogue.
      type: (c: CredentialRecord) => credentialTypeByCode(c.typeCode) ?? { code: c.typeCode },
      holderType: (c: CredentialRecord) => holderTypes[c.holderType],
      status: (c: CredentialRecord) => effectiveStatus(c.status, c.expiryDate),
      statusCode: (c: CredentialRecord) => c.status,
      supersededBy: (c: StoredCredential) => c.supersededBy ?? null,
      async usageRecords(c: CredentialRecord, args: PageArgs, ctx: RegistryContext) {
        const page = usageRecordPages.request(c.id, args);
        const rows = await ctx.loaders.usageRecordPages.load({ credentialId: c.id, page });
        const totalCount = () => ctx.loaders.usageRecordCounts.load(c.id);
        return usageRecordPages.connection(c.id, page, rows, (r) => [r.sortKey, r.id], totalCount, ({ sortKey: _, ...r }) => usageRecordOut(r));
      },
      async disputes(c: CredentialRecord, args: PageArgs, ctx: RegistryContext) {
        const page = disputePages.request(c.id, args);
        const rows = await ctx.loaders.disputePages.load({ credentialId: c.id, page });
        const totalCount = () => ctx.loaders.disputeCounts.load(c.id);
        return disputePages.connection(c.id, page, rows, (r) => [r.sortKey, r.id], totalCount, ({ sortKey: _, ...r }) => r);
      },
      faceFields: (c: CredentialRecord, _: unknown, ctx: RegistryContext) => {
        // Stryker disable next-line ArrayDeclaration: a made-up definition has no value on the record and is filtered out
        const definitions = credentialTypeByCode(c.typeCode)?.faceFields ?? [];
        return definitions
          .filter((d) => c.face[d.key] !== undefined)
          .map((d) => ({ key: d.key, label: d.label, labelZh: d.labelZh, value: personal(c.face[d.key]!, ctx.caller, c, region) }));
      },
    },
    UsageRecord: {
      // A record says nothing of channels unless a counter assisted: then it names its consent.
      channel: (r: UsageRecord) => r.channel ?? 'PRESENTATION_CODE',
      counterAssistance: (r: UsageRecord) => r.counterAssistance ?? null,
    },
    Mutation: {
      [camel(region.code)]: () => ({}),
    },
    [`${region.typePrefix}RegistryMutations`]: {
      issueCredential: (_: unknown, args: { input: IssueInput }, ctx: RegistryContext) => ctx.commands.issue(ctx.caller, args.input),
      suspendCredential: (_: unknown, a: StatusArgs, ctx: RegistryContext) => ctx.commands.changeStatus(ctx.caller, a.id, 'SUSPEND', a.reason),
      restoreCredential: (_: unknown, a: StatusArgs, ctx: RegistryContext) => ctx.commands.changeStatus(ctx.caller, a.id, 'RESTORE', a.reason),
      revokeCredential: (_: unknown, a: StatusArgs, ctx: RegistryContext) => ctx.commands.changeStatus(ctx.caller, a.id, 'REVOKE', a.reason),
      cancelCredential: (_: unknown, a: StatusArgs, ctx: RegistryContext) => ctx.commands.changeStatus(ctx.caller, a.id, 'CANCEL', a.reason),
      correctCredential: (_: unknown, a: CorrectArgs, ctx: RegistryContext) =>
        ctx.commands.correct(ctx.caller, a.id, a.changes, a.reason, a.disputeId ?? undefined),
      async rejectDispute(_: unknown, a: StatusArgs, ctx: RegistryContext) {
        const dispute = await ctx.commands.rejectDispute(ctx.caller, a.id, a.reason);
        return dispute;
      },
    },
    [`${region.typePrefix}Region`]: {
      __resolveReference(ref: { code: string }) {
        if (ref.code !== region.code) throw notFound(`The ${region.name} registry does not serve region ${ref.code}.`);
        return { code: region.code };
      },
      async credentialCount(_: unknown, _args: unknown, ctx: RegistryContext) {
        // Stryker disable next-line StringLiteral: the loader has one key; its name changes nothing
        const counts = await ctx.loaders.statusCounts.load('all');
        return [...counts.values()].reduce((a, b) => a + b, 0);
      },
      async credentialCountByStatus(_: unknown, _args: unknown, ctx: RegistryContext) {
        // Stryker disable next-line StringLiteral: the loader has one key; its name changes nothing
        const counts = await ctx.loaders.statusCounts.load('all');
        return [...counts.entries()]
          .map(([statusCode, count]) => ({ status: statusCodes[statusCode], statusCode, count }))
          .sort((a, b) => a.statusCode.localeCompare(b.statusCode));
      },
    },
  };
}
