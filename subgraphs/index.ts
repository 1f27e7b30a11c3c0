import { catalogue } from './catalogue/server.js';
import { chengduChongqing } from './chengdu-chongqing/server.js';
import type { SubgraphModule } from './kit/run.js';
import { recognition } from './recognition/server.js';
import { shandong } from './shandong/server.js';
import { yangtzeDelta } from './yangtze-delta/server.js';

/** Every subgraph of Hutong, in start order: registries first, then the services that call them. */
export const subgraphs: SubgraphModule[] = [yangtzeDelta, chengduChongqing, shandong, catalogue, recognition];
