import { readFile } from 'node:fs/promises';
import type { SupergraphSdlHook } from '@apollo/gateway';
import { readAccessPolicy, type AccessPolicy } from './authorization.js';

/** The access policy of the supergraph being served; replaced with it on every load. */
export interface AccessPolicyHolder {
  current?: AccessPolicy;
}

/**
 * Supplies the gateway's supergraph from a file, with its access policy. The gateway keeps the
 * `update` callback, which is where a later reload (file watch or signal) hands it a new
 * supergraph without a restart; the policy must be swapped in the same step.
 */
export function supergraphFromFile(file: string, access: AccessPolicyHolder): SupergraphSdlHook {
  return async () => {
    let supergraphSdl: string;
    try {
      supergraphSdl = await readFile(file, 'utf8');
    } catch (error) {
      throw new Error(`Cannot read the supergraph at ${file}: ${(error as Error).message}. Run \`npm run compose\`.`);
    }
    const { policy, executableSdl } = readAccessPolicy(supergraphSdl);
    access.current = policy;
    return { supergraphSdl: executableSdl };
  };
}
