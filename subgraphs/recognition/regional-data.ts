/**
 * A region's own recognition data, published by its team in its folder:
 * `subgraphs/<region>/recognition.json` holds the scenarios (service items) it adds, the verifiers
 * it registers and the acceptance and invalidation rules it publishes. A region speaks only for
 * itself: its rules accept in that region only, its verifiers are in its provinces, and its
 * invalidation rules cover credentials it issued.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { makeUscc } from '../kit/identifiers/index.js';
import { credentialTypes, regions, type Region } from '../kit/reference.js';
import { Random } from '../kit/seed/random.js';
import { disputedFieldPolicies } from './engine.js';
import type { AcceptanceRule, InvalidationRule, Scenario, Verifier } from './seed.js';

const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD');
const slug = z.string().refine((s) => credentialTypes.some((t) => t.slug === s), 'must be a type of the national catalogue (e.g. e-seal)');
const province = z.string().regex(/^\d{2}$/, 'must be a 2-digit province code');
const statuses = z.array(z.enum(['VALID', 'SUSPENDED', 'REVOKED', 'CANCELLED', 'EXPIRED', 'TRANSFERRED_OUT', 'REVOKED_AS_PENALTY', 'OTHER'])).min(1);

const file = z.object({
  $comment: z.string().optional(),
  scenarios: z.array(z.object({
    code: z.string().regex(/^[a-z0-9-]{1,64}$/),
    name: z.string().min(1),
    nameZh: z.string().min(1),
    serviceItemCode: z.string().min(1).max(64),
  })).default([]),
  verifiers: z.array(z.object({
    /** GB 32100 registration authority and category of the organisation. */
    kind: z.enum(['agency', 'institution', 'company']),
    name: z.string().min(1).max(200),
    city: z.string().regex(/^\d{6}$/, 'must be a 6-digit division code'),
    scenarios: z.array(z.string()).min(1),
    /** Name of its development identity in `npm run tokens`. */
    identity: z.string().regex(/^verifier-[a-z0-9-]{1,60}$/, 'must be verifier-<lower-case words>').optional(),
    /** A registered counter (窗口): its staff may verify for a holder without a phone, in person. */
    registeredCounter: z.boolean().default(false),
  })).default([]),
  acceptanceRules: z.array(z.object({
    id: z.string().regex(/^[a-z0-9-]{1,64}$/),
    version: z.number().int().min(1),
    acceptingProvinces: z.array(province).nullable().default(null),
    scenario: z.string(),
    credentialType: slug,
    issuingProvinces: z.array(province).nullable(),
    acceptedStatuses: statuses,
    requireWithinValidity: z.boolean(),
    releasedFields: z.array(z.object({ field: z.string().min(1), retain: z.boolean().default(false), masked: z.boolean().default(false) })).min(1),
    /** A released field an open dispute contests: released flagged (the default) or withheld. */
    disputedFieldPolicy: z.enum(disputedFieldPolicies).default('RELEASE_FLAGGED'),
    validFrom: date,
    validUntil: date.nullable().default(null),
    legalBasis: z.string().min(1),
  })).default([]),
  invalidationRules: z.array(z.object({
    id: z.string().regex(/^[a-z0-9-]{1,64}$/),
    version: z.number().int().min(1),
    issuingProvinces: z.array(province).min(1),
    credentialType: slug,
    scenarios: z.array(z.string()).nullable(),
    statuses,
    validFrom: date,
    validUntil: date.nullable().default(null),
    legalBasis: z.string().min(1),
  })).default([]),
});

export interface RegionalRecognitionData {
  scenarios: Scenario[];
  verifiers: Verifier[];
  acceptanceRules: AcceptanceRule[];
  invalidationRules: InvalidationRule[];
}

/** GB 32100 registration authority and category: government agency, public institution or company. */
const kinds = { agency: ['1', '1'], institution: ['1', '2'], company: ['9', '1'] } as const;
export type VerifierKind = keyof typeof kinds;

/** A registered verifier's generated USCC: valid check characters, the division code of its city, the same for the same name. */
export function verifierOrganisation(kind: VerifierKind, name: string, city: string): string {
  const [authority, category] = kinds[kind];
  return makeUscc(authority, category, city, 'HW' + new Random(`verifier:${name}`).digits(6));
}
const typeCode = (s: string) => credentialTypes.find((t) => t.slug === s)!.code;

/**
 * Reads one region's data; `knownScenarios` are the national ones and those of other regions.
 * Throws naming the file and every problem.
 */
export function parseRegionalData(region: Region, value: unknown, knownScenarios: string[], source: string): RegionalRecognitionData {
  const parsed = file.safeParse(value);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  if (parsed.success) {
    const d = parsed.data;
    const scenarioCodes = new Set([...knownScenarios, ...d.scenarios.map((s) => s.code)]);
    const own = new Set(region.provinceCodes);
    d.verifiers.forEach((v, i) => {
      if (!own.has(v.city.slice(0, 2))) problems.push(`verifiers.${i}.city: ${v.city} is not in ${region.code} (${region.provinceCodes.join(', ')}): a region registers its own verifiers only`);
      v.scenarios.forEach((s, j) => scenarioCodes.has(s) || problems.push(`verifiers.${i}.scenarios.${j}: no scenario ${s}`));
    });
    d.acceptanceRules.forEach((r, i) => {
      if (!scenarioCodes.has(r.scenario)) problems.push(`acceptanceRules.${i}.scenario: no scenario ${r.scenario}`);
      (r.acceptingProvinces ?? []).forEach((p, j) => own.has(p) || problems.push(`acceptanceRules.${i}.acceptingProvinces.${j}: ${p} is not in ${region.code}: a region publishes acceptance rules for itself only`));
    });
    d.invalidationRules.forEach((r, i) =>
      r.issuingProvinces.forEach((p, j) => own.has(p) || problems.push(`invalidationRules.${i}.issuingProvinces.${j}: ${p} is not in ${region.code}: a region invalidates only what it issued`)),
    );
    if (problems.length === 0) {
      return {
        scenarios: d.scenarios,
        verifiers: d.verifiers.map((v) => ({
          organisation: verifierOrganisation(v.kind, v.name, v.city),
          name: v.name,
          region: region.code,
          province: v.city.slice(0, 2),
          scenarios: v.scenarios,
          ...(v.registeredCounter ? { registeredCounter: true as const } : {}),
          ...(v.identity ? { identity: v.identity } : {}),
        })),
        acceptanceRules: d.acceptanceRules.map(({ disputedFieldPolicy, ...r }) => ({
          ...r,
          acceptingRegion: region.code,
          credentialType: typeCode(r.credentialType),
          // The default is left unsaid, as the store gives it back.
          ...(disputedFieldPolicy === 'WITHHOLD' ? { disputedFieldPolicy } : {}),
        })),
        invalidationRules: d.invalidationRules.map((r) => ({ ...r, credentialType: typeCode(r.credentialType) })),
      };
    }
  }
  throw new Error(`${source} is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
}

/** Every region's `recognition.json`, in the order of the regions file; a region without one adds nothing. */
export function loadRegionalData(nationalScenarios: string[]): RegionalRecognitionData {
  const all: RegionalRecognitionData = { scenarios: [], verifiers: [], acceptanceRules: [], invalidationRules: [] };
  const known = [...nationalScenarios];
  for (const region of regions) {
    const path = fileURLToPath(new URL(`../${region.code}/recognition.json`, import.meta.url));
    if (!existsSync(path)) continue;
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new Error(`subgraphs/${region.code}/recognition.json cannot be read: ${(error as Error).message}`);
    }
    const data = parseRegionalData(region, value, known, `subgraphs/${region.code}/recognition.json`);
    known.push(...data.scenarios.map((s) => s.code));
    for (const key of Object.keys(all) as (keyof RegionalRecognitionData)[]) (all[key] as unknown[]).push(...data[key]);
  }
  return all;
}
