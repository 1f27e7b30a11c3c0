import { parseLicenceId, type LicenceIdParseResult } from './identifiers/index.js';
import { badInput } from './errors.js';
import { provinceName, regionOfProvince, type Region } from './reference.js';

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
 * The issuing region of a GB/T 36904 identifier, read from the division code inside its issuer's
 * USCC. Throws BAD_USER_INPUT for a malformed identifier or a province without a registry.
 */
export function regionOfIdentifier(rawId: string): { id: string; region: Region; provinceCode: string } {
  const id = rawId.trim();
  const { provinceCode } = parseCredentialId(id);
  const region = regionOfProvince(provinceCode);
  if (!region) {
    throw badInput(
      `Credential identifier was issued in province ${provinceCode} (${provinceName(provinceCode)}), which has no registry in Hutong.`,
      { reason: 'UNKNOWN_REGION' },
    );
  }
  return { id, region, provinceCode };
}
