/** The sparkJob workflow's input, including the state carried across continue-as-new. */
import type { BatchRef } from './activities';
import type { JobSpecInput, JobSpec } from './jobSpec';
import type { JobStatus } from './status';

export interface SparkJobOptions {
  /** How long one wait activity may go without a state change before checking in. */
  trackWindowSeconds?: number;
  /** Continue-as-new once history reaches this many events (or when Temporal suggests it). */
  historyLimit?: number;
}

export interface ResumeState {
  status: JobStatus;
  /** The batch being tracked when the run continued as new. */
  tracking?: { ref: BatchRef; knownState: string };
}

export interface SparkJobInput {
  jobId: string;
  spec: JobSpecInput | JobSpec;
  fingerprint: string;
  options?: SparkJobOptions;
  resume?: ResumeState;
}

export const DEFAULT_TRACK_WINDOW_SECONDS = 12 * 3600;
export const DEFAULT_HISTORY_LIMIT = 2000;
