/**
 * Test fixtures derived from the product's own seed code: the same (region, index) gives the
 * same credential the registries were seeded with.
 */
import { TEST_SEED_COUNT } from './stack.js';
import { buildLicenceId } from '../../subgraphs/kit/identifiers/index.js';
import { regionByCode, regions, type Region } from '../../subgraphs/kit/reference.js';
import { holderAt, moverAt, seedCredential, type CredentialRecord } from '../../subgraphs/kit/seed/credentials.js';

export { holderAt, moverAt, regions, seedCredential };

export const region = (code: string): Region => regionByCode(code)!;

/** Every seeded credential of a region (first `count` indices). */
export function seededCredentials(regionCode: string, count: number): CredentialRecord[] {
  return Array.from({ length: count }, (_, k) => seedCredential(region(regionCode), k));
}

/** Status names of the ministry feed's codes, written out here rather than taken from the product. */
const STATUS_NAMES: Record<string, string> = {
  '01': 'VALID', '02': 'SUSPENDED', '03': 'REVOKED', '04': 'CANCELLED', '05': 'EXPIRED', '06': 'TRANSFERRED_OUT', '07': 'REVOKED_AS_PENALTY', '99': 'OTHER',
};

/**
 * The status the graph must report for a seeded record today, worked out independently of the
 * product's status code: a record stored as valid is expired once the day after its expiry date
 * has begun in China (UTC+8).
 */
export function expectedStatus(c: CredentialRecord, now = new Date()): string {
  if (c.status === '01' && c.expiryDate !== null) {
    const [y, m, d] = c.expiryDate.split('-').map(Number) as [number, number, number];
    const endOfExpiryDayInChina = Date.UTC(y, m - 1, d + 1) - 8 * 3600_000;
    if (now.getTime() >= endOfExpiryDayInChina) return 'EXPIRED';
  }
  return STATUS_NAMES[c.status]!;
}

/** A well-formed identifier (valid check character, known region) that no registry holds. */
export function unissuedIdentifier(regionCode: string): string {
  const c = seedCredential(region(regionCode), 1);
  return buildLicenceId({ typeCode: c.typeCode, issuerCode: c.issuerCode, serial: 'HT99999999', version: '001' });
}

/** Index entries the catalogue holds after seeding `regionCount` registries with the test seed. */
export const TEST_SEED_COUNT_FOR = (regionCount: number) => regionCount * TEST_SEED_COUNT;
