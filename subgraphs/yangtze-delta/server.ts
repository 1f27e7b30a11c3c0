import { fileURLToPath } from 'node:url';
import { registryModule } from '../kit/registry/subgraph.js';
import { isMainModule, runSubgraph } from '../kit/run.js';
import { region } from './region.js';
import { resolvers } from './resolvers.js';

/** The Yangtze River Delta (Shanghai 31, Jiangsu 32, Zhejiang 33, Anhui 34) registry subgraph. */
export const yangtzeDelta = registryModule({
  region,
  sdlPath: fileURLToPath(new URL('./schema.graphql', import.meta.url)),
  resolvers,
});

export default yangtzeDelta;

if (isMainModule(import.meta.url)) await runSubgraph(yangtzeDelta);
