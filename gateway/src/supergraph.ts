import { readFile } from 'node:fs/promises';
import type { SupergraphSdlHook } from '@apollo/gateway';

/**
 * Supplies the gateway's supergraph from a file. The gateway keeps the `update` callback, which is
 * where a later reload (file watch or signal) hands it a new supergraph without a restart.
 */
export function supergraphFromFile(file: string): SupergraphSdlHook {
  return async () => {
    let supergraphSdl: string;
    try {
      supergraphSdl = await readFile(file, 'utf8');
    } catch (error) {
      throw new Error(`Cannot read the supergraph at ${file}: ${(error as Error).message}. Run \`npm run compose\`.`);
    }
    return { supergraphSdl };
  };
}
