import { statusCodes, type CredentialStatus, type StatusCode } from '../reference.js';
import { todayInChina } from '../days.js';

/**
 * The status a verifier must see: the registry's stored status, except that a credential still
 * marked valid whose expiry date has passed is expired. A credential is valid through its expiry date.
 */
export function effectiveStatus(stored: StatusCode, expiryDate: string | null, today = todayInChina()): CredentialStatus {
  if (stored === '01' && expiryDate !== null && expiryDate < today) return 'EXPIRED';
  return statusCodes[stored];
}
