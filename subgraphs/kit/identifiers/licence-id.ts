// GB/T 36904 electronic-licence identifier, in the dotted form used by the
// provincial registries:
//   1.2.156.3005.2.<type code>.<issuer code>.<serial>.<version>.<check>
// type code   = USCC of the defining authority (18) + 3-digit sequence
// issuer code = USCC of the issuing authority (18); its characters 3-8 are the
//               administrative division code of the issuer
// serial      = 1..32 characters of 0-9A-Z chosen by the issuer
// version     = 3 digits
// check       = ISO 7064 MOD 37,36 over type + issuer + serial + version

import { mod3736CheckChar } from './iso7064.js';
import { parseUscc } from './gb32100.js';

export const LICENCE_ID_PREFIX = '1.2.156.3005.2';

export type LicenceIdParts = { typeCode: string; issuerCode: string; serial: string; version: string };

export type LicenceIdErrorCode = 'MALFORMED' | 'BAD_CHECK_CHARACTER' | 'BAD_ISSUER_CODE' | 'BAD_TYPE_CODE';

export type LicenceIdParseResult =
  | { ok: true; parts: LicenceIdParts & { check: string; divisionCode: string; provinceCode: string } }
  | { ok: false; reason: string; code: LicenceIdErrorCode };

type Failure = { ok: false; reason: string; code: LicenceIdErrorCode };

const TYPE_CODE_LENGTH = 21;
const ISSUER_CODE_LENGTH = 18;
const MAX_SERIAL_LENGTH = 32;
// Longest possible well-formed identifier; anything longer is rejected before
// any splitting so hostile input costs nothing and is never echoed back.
const MAX_LENGTH =
  LICENCE_ID_PREFIX.length + 1 + TYPE_CODE_LENGTH + 1 + ISSUER_CODE_LENGTH + 1 + MAX_SERIAL_LENGTH + 1 + 3 + 1 + 1;

function fail(code: LicenceIdErrorCode, reason: string): Failure {
  return { ok: false, code, reason };
}

/** Lower-cases the first letter so a nested reason reads as part of one sentence. */
function clause(reason: string): string {
  return reason.charAt(0).toLowerCase() + reason.slice(1).replace(/\.$/, '');
}

/** Validates the four identifier parts; returns the first problem or null. Order matters: see parseLicenceId. */
function checkParts(parts: LicenceIdParts): Failure | null {
  const { typeCode, issuerCode, serial, version } = parts;
  if (typeof serial !== 'string' || !/^[0-9A-Z]{1,32}$/.test(serial)) {
    return fail('MALFORMED', `identifier serial number must be 1 to ${MAX_SERIAL_LENGTH} characters of 0-9 or A-Z`);
  }
  if (typeof version !== 'string' || !/^[0-9]{3}$/.test(version)) {
    return fail('MALFORMED', 'identifier version must be exactly 3 digits');
  }
  if (typeof typeCode !== 'string' || typeCode.length !== TYPE_CODE_LENGTH) {
    return fail(
      'BAD_TYPE_CODE',
      `licence type code must be ${TYPE_CODE_LENGTH} characters (an 18-character unified social credit code and a 3-digit sequence)`,
    );
  }
  const definer = parseUscc(typeCode.slice(0, 18));
  if (!definer.ok) {
    return fail(
      'BAD_TYPE_CODE',
      `licence type code '${typeCode}' does not start with a valid unified social credit code: ${clause(definer.reason)}`,
    );
  }
  if (!/^[0-9]{3}$/.test(typeCode.slice(18))) {
    return fail('BAD_TYPE_CODE', `licence type code '${typeCode}' must end with a 3-digit sequence number`);
  }
  if (typeof issuerCode !== 'string' || issuerCode.length !== ISSUER_CODE_LENGTH) {
    return fail('BAD_ISSUER_CODE', `issuing authority code must be an ${ISSUER_CODE_LENGTH}-character unified social credit code`);
  }
  const issuer = parseUscc(issuerCode);
  if (!issuer.ok) {
    return fail(
      'BAD_ISSUER_CODE',
      `issuing authority code '${issuerCode}' is not a valid unified social credit code: ${clause(issuer.reason)}`,
    );
  }
  return null;
}

/** Builds the dotted identifier, computing the check character. Throws RangeError when a part is invalid. */
export function buildLicenceId(parts: LicenceIdParts): string {
  const problem = checkParts(parts);
  if (problem) throw new RangeError(problem.reason);
  const { typeCode, issuerCode, serial, version } = parts;
  const check = mod3736CheckChar(typeCode + issuerCode + serial + version);
  return [LICENCE_ID_PREFIX, typeCode, issuerCode, serial, version, check].join('.');
}

/**
 * Parses and validates a licence identifier. Never throws. Component checks run
 * before the overall check character so that a typo inside the type or issuer
 * code is reported where it is, rather than as a wrong final character that a
 * client might be tempted to "fix".
 */
export function parseLicenceId(id: string): LicenceIdParseResult {
  if (typeof id !== 'string') return fail('MALFORMED', 'identifier must be a string');
  if (id.length === 0) return fail('MALFORMED', 'identifier is empty');
  if (id.length > MAX_LENGTH) {
    return fail('MALFORMED', `identifier is ${id.length} characters long but at most ${MAX_LENGTH} are allowed`);
  }
  if (!/^[0-9A-Z.]+$/.test(id)) {
    return fail(
      'MALFORMED',
      /^[0-9A-Za-z.]+$/.test(id)
        ? 'identifier must use upper-case letters only'
        : 'identifier may contain only digits, upper-case letters A-Z and dots',
    );
  }
  if (!id.startsWith(`${LICENCE_ID_PREFIX}.`)) {
    return fail('MALFORMED', `identifier must start with '${LICENCE_ID_PREFIX}.'`);
  }
  const segments = id.slice(LICENCE_ID_PREFIX.length + 1).split('.');
  if (segments.length !== 5) {
    return fail(
      'MALFORMED',
      `identifier must have 5 dot-separated fields after '${LICENCE_ID_PREFIX}' (type, issuer, serial, version, check) but has ${segments.length}`,
    );
  }
  // Stryker disable next-line StringLiteral: the defaults only satisfy the type checker; there are exactly 5 segments here
  const [typeCode = '', issuerCode = '', serial = '', version = '', check = ''] = segments;
  if (!/^[0-9A-Z]$/.test(check)) {
    return fail('MALFORMED', 'identifier check character must be a single character of 0-9 or A-Z');
  }
  const parts: LicenceIdParts = { typeCode, issuerCode, serial, version };
  const problem = checkParts(parts);
  if (problem) return problem;
  const expected = mod3736CheckChar(typeCode + issuerCode + serial + version);
  if (check !== expected) {
    return fail('BAD_CHECK_CHARACTER', `identifier check character is '${check}' but should be '${expected}'`);
  }
  return {
    ok: true,
    parts: { ...parts, check, divisionCode: issuerCode.slice(2, 8), provinceCode: issuerCode.slice(2, 4) },
  };
}
