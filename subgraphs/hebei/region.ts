import { regionByCode } from '../kit/reference.js';

/** The Hebei entry of subgraphs/regions.json: its provinces, cities, URL and type prefix. */
export const region = regionByCode('hebei')!;
