import { parseLicenceId } from './identifiers/index.js';
import { badInput } from './errors.js';
import { provinceName, regionOfProvince, type Region } from './reference.js';

/**
 * The issuing region of a GB/T 36904 identifier, read from the division code inside its issuer's
 * USCC. Throws BAD_USER_INPUT for a malformed identifier or a province without a registry.
 */
export function regionOfIdentifier(rawId: string): { id: string; region: Region; provinceCode: string } {
  const id = rawId.trim();
  const parsed = parseLicenceId(id);
  if (!parsed.ok) {
    throw badInput(`Invalid credential identifier: ${parsed.reason}.`, { reason: parsed.code });
  }
  const { provinceCode } = parsed.parts;
  const region = regionOfProvince(provinceCode);
  if (!region) {
    throw badInput(
      `Credential identifier was issued in province ${provinceCode} (${provinceName(provinceCode)}), which has no registry in Hutong.`,
      { reason: 'UNKNOWN_REGION' },
    );
  }
  return { id, region, provinceCode };
}
