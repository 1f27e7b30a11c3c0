import type { Database } from '../db.js';
import type { Region } from '../reference.js';
import { seedCredential, type CredentialRecord } from '../seed/credentials.js';
import { CredentialStore } from './store.js';

export interface SeedProgress {
  region: string;
  done: number;
  target: number;
}

/**
 * Brings a registry up to `target` seed credentials. Each batch commits the credentials, their
 * outbox entries and the seed position together, so an interrupted seed resumes where it stopped.
 */
export async function seedRegistry(
  db: Database,
  region: Region,
  target: number,
  onProgress?: (p: SeedProgress) => void,
  batchSize = 2000,
): Promise<{ inserted: number }> {
  const store = new CredentialStore(db);
  let done = await store.seededUpto();
  const start = done;
  while (done < target) {
    const end = Math.min(target, done + batchSize);
    const batch: CredentialRecord[] = [];
    for (let k = done; k < end; k++) batch.push(seedCredential(region, k));
    await db.transaction(async (tx) => {
      await CredentialStore.lockOutbox(tx);
      await CredentialStore.insert(tx, batch);
      await CredentialStore.setSeededUpto(tx, end);
    });
    done = end;
    onProgress?.({ region: region.code, done, target });
  }
  return { inserted: done - start };
}
