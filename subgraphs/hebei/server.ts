import { fileURLToPath } from 'node:url';
import { registryModule } from '../kit/registry/subgraph.js';
import { isMainModule, runSubgraph } from '../kit/run.js';
import { region } from './region.js';
import { resolvers } from './resolvers.js';

/** The Hebei (Hebei 13) registry subgraph. */
export const hebei = registryModule({
  region,
  sdlPath: fileURLToPath(new URL('./schema.graphql', import.meta.url)),
  resolvers,
});

export default hebei;

if (isMainModule(import.meta.url)) await runSubgraph(hebei);
