import { parseLicenceId, type LicenceIdParseResult } from './identifiers/index.js';
import { badInput } from './errors.js';
import { provinceName, regionOfIssuer, type Region } from './reference.js';

/**
 * The parts of a GB/T 36904 credential identifier, or BAD_USER_INPUT saying what is wrong with it
 * (never echoing the input back: it may be anything a caller sent).
 */
export function parseCredentialId(id: string): Extract<LicenceIdParseResult, { ok: true }>['parts'] {
  const parsed = parseLicenceId(id);
  if (!parsed.ok) throw badInput(`Invalid credential identifier: ${parsed.reason}.`, { reason: parsed.code });
  return parsed.parts;
}

/**
 * The issuing region of a GB/T 36904 identifier: for a national issuer the region the regions file
 * names, otherwise the one holding the province of the division code inside its issuer's USCC.
 * Throws BAD_USER_INPUT for a malformed identifier or a province without a registry.
 */
export function regionOfIdentifier(rawId: string): { id: string; region: Region; provinceCode: string } {
  const id = rawId.trim();
  const { provinceCode, issuerCode } = parseCredentialId(id);
  const region = regionOfIssuer(issuerCode, provinceCode);
  if (!region) {
    throw badInput(
      `Credential identifier was issued in province ${provinceCode} (${provinceName(provinceCode)}), which has no registry in Hutong.`,
      { reason: 'UNKNOWN_REGION' },
    );
  }
  return { id, region, provinceCode };
}
