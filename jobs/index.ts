/** Every job kind Warden runs; the registry built from this list is the start-up check. */
import type { AnyJobDefinition } from '../src/queue/define-job.js';
import { reconcileJob } from './reconcile.job.js';

export const jobs: readonly AnyJobDefinition[] = [reconcileJob];
