import { region, seedCredential } from './fixtures.js';

/** One seeded credential per registry, read in one operation: what an auditor's dashboard asks. */
export const ONE_PER_REGION = `query OnePerRegion($yd: ID!, $cc: ID!, $sd: ID!) {
  yd: credential(id: $yd) { id status }
  cc: credential(id: $cc) { id status }
  sd: credential(id: $sd) { id status }
}`;

/** The variables of ONE_PER_REGION: the k-th seeded credential of each registry. */
export const onePerRegionIds = (k: number) => ({
  yd: seedCredential(region('yangtze-delta'), k).id,
  cc: seedCredential(region('chengdu-chongqing'), k).id,
  sd: seedCredential(region('shandong'), k).id,
});

