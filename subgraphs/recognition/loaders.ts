import DataLoader from 'dataloader';
import type { RecognitionStore, ReferenceData } from './db/store.js';
import type { Scenario, Verifier } from './seed.js';

export interface RecognitionLoaders {
  /**
   * The reference data (scenarios, verifiers, rules) for this request: its generation checked
   * once, so a verification and the fields its answer resolves cost one statement for it. (No
   * request both changes them and verifies: rule officers and verifiers are different callers.)
   */
  reference: () => Promise<ReferenceData>;
  scenario: DataLoader<string, Scenario | null>;
  verifier: DataLoader<string, Verifier | null>;
}

/** Per request; scenarios and verifiers are small tables, each read once per request. */
export function createRecognitionLoaders(store: RecognitionStore): RecognitionLoaders {
  let read: Promise<ReferenceData> | undefined;
  const reference = () => (read ??= store.reference());
  return {
    reference,
    scenario: new DataLoader(async (codes) => {
      const all = new Map((await reference()).scenarios.map((s) => [s.code, s]));
      return codes.map((c) => all.get(c) ?? null);
    }),
    verifier: new DataLoader(async (orgs) => {
      const all = (await reference()).verifiersByOrganisation;
      return orgs.map((o) => all.get(o) ?? null);
    }),
  };
}
