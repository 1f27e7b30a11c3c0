export { mod3736CheckChar, isValidMod3736 } from './iso7064.js';
export { citizenIdCheckChar, makeCitizenId, parseCitizenId, isValidCitizenId } from './gb11643.js';
export type { CitizenIdParseResult } from './gb11643.js';
export { orgCodeCheckChar, usccCheckChar, makeUscc, parseUscc, isValidUscc } from './gb32100.js';
export type { UsccParseResult } from './gb32100.js';
export { LICENCE_ID_PREFIX, buildLicenceId, parseLicenceId } from './licence-id.js';
export type { LicenceIdParts, LicenceIdErrorCode, LicenceIdParseResult } from './licence-id.js';
