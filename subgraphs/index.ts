import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { catalogue } from './catalogue/server.js';
import type { SubgraphModule } from './kit/run.js';
import { regions } from './kit/reference.js';
import { recognition } from './recognition/server.js';

/**
 * Each region of the regions file is the folder `subgraphs/<code>/`, whose `server.ts` exports
 * its subgraph module as default: adding a region adds no line here.
 */
const here = fileURLToPath(import.meta.url);
const registries: SubgraphModule[] = await Promise.all(
  regions.map(async (region) => {
    // Same extension as this module: `.ts` from source, `.js` from a compiled build.
    const entry = pathToFileURL(path.join(path.dirname(here), region.code, `server${path.extname(here)}`)).href;
    const loaded = (await import(/* @vite-ignore */ entry)) as { default?: SubgraphModule };
    if (loaded.default?.name !== region.code) throw new Error(`subgraphs/${region.code}/server.ts must export default the subgraph module of region ${region.code}`);
    return loaded.default;
  }),
);

/** Every subgraph of Hutong, in start order: registries first, then the services that call them. */
export const subgraphs: SubgraphModule[] = [...registries, catalogue, recognition];
