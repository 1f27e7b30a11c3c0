/**
 * Test fixtures derived from the product's own seed code: the same (region, index) gives the
 * same credential the registries were seeded with.
 */
import { TEST_SEED_COUNT } from './stack.js';
import { buildLicenceId } from '../../subgraphs/kit/identifiers/index.js';
import { regionByCode, regions, type Region } from '../../subgraphs/kit/reference.js';
import { effectiveStatus } from '../../subgraphs/kit/registry/status.js';
import { holderAt, moverAt, seedCredential, type CredentialRecord } from '../../subgraphs/kit/seed/credentials.js';

export { holderAt, moverAt, regions, seedCredential };

export const region = (code: string): Region => regionByCode(code)!;

/** Every seeded credential of a region (first `count` indices). */
export function seededCredentials(regionCode: string, count: number): CredentialRecord[] {
  return Array.from({ length: count }, (_, k) => seedCredential(region(regionCode), k));
}

/** The status the graph must report for a seeded record today. */
export const expectedStatus = (c: CredentialRecord) => effectiveStatus(c.status, c.expiryDate);

/** A well-formed identifier (valid check character, known region) that no registry holds. */
export function unissuedIdentifier(regionCode: string): string {
  const c = seedCredential(region(regionCode), 1);
  return buildLicenceId({ typeCode: c.typeCode, issuerCode: c.issuerCode, serial: 'HT99999999', version: '001' });
}

/** Index entries the catalogue holds after seeding `regionCount` registries with the test seed. */
export const TEST_SEED_COUNT_FOR = (regionCount: number) => regionCount * TEST_SEED_COUNT;
