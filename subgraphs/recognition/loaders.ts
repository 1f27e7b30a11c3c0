import DataLoader from 'dataloader';
import type { RecognitionStore } from './db/store.js';
import type { Scenario, Verifier } from './seed.js';

export interface RecognitionLoaders {
  scenario: DataLoader<string, Scenario | null>;
  verifier: DataLoader<string, Verifier | null>;
}

/** Per request; scenarios and verifiers are small tables, each read once per request. */
export function createRecognitionLoaders(store: RecognitionStore): RecognitionLoaders {
  return {
    scenario: new DataLoader(async (codes) => {
      const all = new Map((await store.scenarios()).map((s) => [s.code, s]));
      return codes.map((c) => all.get(c) ?? null);
    }),
    verifier: new DataLoader(async (orgs) => {
      const all = new Map((await store.verifiers()).map((v) => [v.organisation, v]));
      return orgs.map((o) => all.get(o) ?? null);
    }),
  };
}
