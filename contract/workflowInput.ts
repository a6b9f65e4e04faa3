/** The sparkJob workflow's input, including the state carried across continue-as-new. */
import type { BatchRef } from './activities';
import type { Checked } from './messages';
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
  /** The client's fingerprint of the normalized spec; the workflow validates the spec whatever it says. */
  fingerprint?: string;
  options?: SparkJobOptions;
  /** Only honoured on a continue-as-new run: a started workflow cannot forge a job's past. */
  resume?: ResumeState;
}

/** The sweeper's input: an attempt that must be killed the moment its cluster answers again. */
export interface SweepBatchInput {
  jobId: string;
  ref: BatchRef;
  reason: string;
}

export const DEFAULT_TRACK_WINDOW_SECONDS = 12 * 3600;
export const DEFAULT_HISTORY_LIMIT = 2000;
export const OPTION_LIMITS = { trackWindowSeconds: [1, 7 * 24 * 3600], historyLimit: [10, 50_000] } as const;

/** The parts of the input the workflow relies on before the spec is validated (in an activity). */
export function checkSparkJobInput(input: unknown, workflowId: string): Checked<SparkJobInput> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { ok: false, error: 'the workflow input must be an object' };
  const { jobId, options, fingerprint } = input as Record<string, unknown>;
  if (jobId !== workflowId) return { ok: false, error: `jobId: must equal the workflow id (${workflowId})` };
  if (fingerprint !== undefined && typeof fingerprint !== 'string') return { ok: false, error: 'fingerprint: must be a string' };
  if (options !== undefined) {
    if (typeof options !== 'object' || options === null || Array.isArray(options)) return { ok: false, error: 'options: must be an object' };
    for (const [key, value] of Object.entries(options)) {
      const limits = OPTION_LIMITS[key as keyof typeof OPTION_LIMITS];
      if (!limits) return { ok: false, error: `options.${key}: unknown option` };
      if (typeof value !== 'number' || !Number.isInteger(value) || value < limits[0] || value > limits[1]) {
        return { ok: false, error: `options.${key}: must be an integer from ${limits[0]} to ${limits[1]}` };
      }
    }
  }
  return { ok: true, value: input as SparkJobInput };
}
