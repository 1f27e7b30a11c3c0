import type { Caller } from '../../kit/auth/caller.js';
import type { RecognitionStore, VerificationRow } from '../db/store.js';
import type { RecognitionLoaders } from '../loaders.js';
import type { RulePublisher } from '../rules.js';
import type { RecognitionService } from '../service.js';

export interface RecognitionContext {
  caller: Caller;
  loaders: RecognitionLoaders;
  store: RecognitionStore;
  service: RecognitionService;
  /** Rule officers' publications and retirements. */
  rules: RulePublisher;
  /** Counts a verification in the process's metrics. */
  verified?: (v: VerificationRow) => void;
}
