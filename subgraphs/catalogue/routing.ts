import { parseCitizenId, parseUscc } from '../kit/identifiers/index.js';
import { badInput } from '../kit/errors.js';
import type { Region } from '../kit/reference.js';
import { regionOfIdentifier } from '../kit/routing.js';

export interface CredentialRef {
  __typename: string;
  id: string;
}

export const credentialTypename = (region: Region) => `${region.typePrefix}Credential`;
export const regionTypename = (region: Region) => `${region.typePrefix}Region`;

/** The typed reference of an identifier: its issuing region's credential type. */
export function routeIdentifier(rawId: string): { region: Region; ref: CredentialRef } {
  const { id, region } = regionOfIdentifier(rawId);
  return { region, ref: { __typename: credentialTypename(region), id } };
}

/** A holder code is a citizen ID number (type 111) or a USCC (type 001). */
export function parseHolderCode(rawCode: string): { code: string; holderType: 'CITIZEN' | 'ORGANISATION' } {
  const code = rawCode.trim().toUpperCase();
  if (code.length === 18 && /^\d{17}[\dX]$/.test(code)) {
    const citizen = parseCitizenId(code);
    if (citizen.ok) return { code, holderType: 'CITIZEN' };
    const org = parseUscc(code);
    if (org.ok) return { code, holderType: 'ORGANISATION' };
    throw badInput(`Invalid holder code: not a valid citizen ID number (${citizen.reason})`, { reason: 'INVALID_HOLDER_CODE' });
  }
  const org = parseUscc(code);
  if (org.ok) return { code, holderType: 'ORGANISATION' };
  throw badInput(
    `Invalid holder code: expected an 18-character citizen ID number (GB 11643) or unified social credit code (GB 32100); ${org.reason}`,
    { reason: 'INVALID_HOLDER_CODE' },
  );
}
