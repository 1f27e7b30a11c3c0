/** Tokens for the development identities (`npm run tokens`), minted with a test stack's key. */
import { devIdentity } from '../../scripts/dev-identities.js';
import type { Stack } from './stack.js';

export const identityToken = (stack: Stack, name: string): Promise<string> => stack.token(devIdentity(name).claims);
/** An issuer of the region: sees that region's records in full. */
export const regionIssuerToken = (stack: Stack, region: string) => identityToken(stack, `issuer-${region}`);
export const analystToken = (stack: Stack) => identityToken(stack, 'analyst');
/** An auditor: reads any record, with names and ID numbers masked. */
export const adminToken = (stack: Stack) => identityToken(stack, 'admin');
