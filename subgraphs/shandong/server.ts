import { fileURLToPath } from 'node:url';
import { registryModule } from '../kit/registry/subgraph.js';
import { isMainModule, runSubgraph } from '../kit/run.js';
import { region } from './region.js';
import { resolvers } from './resolvers.js';

/** The Shandong registry subgraph (province 37). */
export const shandong = registryModule({
  region,
  sdlPath: fileURLToPath(new URL('./schema.graphql', import.meta.url)),
  resolvers,
});

export default shandong;

if (isMainModule(import.meta.url)) await runSubgraph(shandong);
