import { fileURLToPath } from 'node:url';
import { registryModule } from '../kit/registry/subgraph.js';
import { isMainModule, runSubgraph } from '../kit/run.js';
import { region } from './region.js';
import { resolvers } from './resolvers.js';

/** The Chengdu-Chongqing (Chongqing 50, Sichuan 51) registry subgraph. */
export const chengduChongqing = registryModule({
  region,
  sdlPath: fileURLToPath(new URL('./schema.graphql', import.meta.url)),
  resolvers,
});

export default chengduChongqing;

if (isMainModule(import.meta.url)) await runSubgraph(chengduChongqing);
