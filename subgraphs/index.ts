import { catalogue } from './catalogue/server.js';
import { chengduChongqing } from './chengdu-chongqing/server.js';
import type { SubgraphModule } from './kit/run.js';
import { shandong } from './shandong/server.js';
import { yangtzeDelta } from './yangtze-delta/server.js';

/** Every subgraph of Hutong, in start order: registries first, then the catalogue that reads them. */
export const subgraphs: SubgraphModule[] = [yangtzeDelta, chengduChongqing, shandong, catalogue];
