/** The sparkJob workflow's input, including the state carried across continue-as-new. */
import type { BatchRef } from './activities';
import { cancelledBy, type Checked } from './messages';
import type { JobSpecInput, JobSpec } from './jobSpec';
import type { JobStatus, RunSummary } from './status';

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
  /**
   * The job's earlier runs, when this run is a rerun of a job ID whose latest run ended FAILED,
   * CANCELLED or TIMED_OUT (the client reads them from that run's final status). Oldest first, at
   * most MAX_PREVIOUS_RUNS (the oldest are dropped), each checked by checkSparkJobInput.
   */
  previousRuns?: RunSummary[];
}

/** The sweeper's input: an attempt that must be killed the moment its cluster answers again. */
export interface SweepBatchInput {
  jobId: string;
  ref: BatchRef;
  reason: string;
}

export const DEFAULT_TRACK_WINDOW_SECONDS = 12 * 3600;
export const DEFAULT_HISTORY_LIMIT = 2000;
/** How many earlier runs a run keeps in its input and status: the newest ones (the run numbers still count them all). */
export const MAX_PREVIOUS_RUNS = 20;
const RUN_SUMMARY_LIMITS = { runId: 100, reason: 1000, time: 40, run: 1_000_000, attempts: 10_000, lastAttempt: 1_000_000 } as const;
const RERUN_STATES: ReadonlySet<string> = new Set(['FAILED', 'CANCELLED', 'TIMED_OUT']);

export const OPTION_LIMITS = { trackWindowSeconds: [1, 7 * 24 * 3600], historyLimit: [10, 50_000] } as const;

/** The parts of the input the workflow relies on before the spec is validated (in an activity). */
export function checkSparkJobInput(input: unknown, workflowId: string): Checked<SparkJobInput> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { ok: false, error: 'the workflow input must be an object' };
  const { jobId, options, fingerprint, previousRuns } = input as Record<string, unknown>;
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
  if (previousRuns !== undefined) {
    const problem = checkPreviousRuns(previousRuns);
    if (problem) return { ok: false, error: problem };
  }
  return { ok: true, value: input as SparkJobInput };
}

/** What a rerun may claim about earlier runs: a bounded list of plain summaries, run numbers rising. */
function checkPreviousRuns(value: unknown): string | undefined {
  if (!Array.isArray(value)) return 'previousRuns: must be an array';
  if (value.length > MAX_PREVIOUS_RUNS) return `previousRuns: at most ${MAX_PREVIOUS_RUNS} entries`;
  let lastRun = 0;
  let lastAttempt = 0;
  for (const [i, entry] of value.entries()) {
    const at = `previousRuns[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return `${at}: must be an object`;
    const run = entry as Record<string, unknown>;
    for (const key of Object.keys(run)) {
      if (!['run', 'runId', 'state', 'reason', 'startedAt', 'finishedAt', 'attempts', 'lastAttempt'].includes(key)) return `${at}.${key}: unknown field`;
    }
    if (!isIntegerIn(run.run, lastRun + 1, RUN_SUMMARY_LIMITS.run)) return `${at}.run: must be an integer above the previous entry's, up to ${RUN_SUMMARY_LIMITS.run}`;
    lastRun = run.run as number;
    if (!isTextUpTo(run.runId, RUN_SUMMARY_LIMITS.runId, true)) return `${at}.runId: must be a non-empty string of at most ${RUN_SUMMARY_LIMITS.runId} characters`;
    if (typeof run.state !== 'string' || !RERUN_STATES.has(run.state)) return `${at}.state: must be FAILED, CANCELLED or TIMED_OUT`;
    if (run.reason !== undefined && !isTextUpTo(run.reason, RUN_SUMMARY_LIMITS.reason)) return `${at}.reason: must be a string of at most ${RUN_SUMMARY_LIMITS.reason} characters`;
    if (!isTextUpTo(run.startedAt, RUN_SUMMARY_LIMITS.time, true)) return `${at}.startedAt: must be a timestamp string`;
    if (run.finishedAt !== undefined && !isTextUpTo(run.finishedAt, RUN_SUMMARY_LIMITS.time, true)) return `${at}.finishedAt: must be a timestamp string`;
    if (!isIntegerIn(run.attempts, 0, RUN_SUMMARY_LIMITS.attempts)) return `${at}.attempts: must be an integer from 0 to ${RUN_SUMMARY_LIMITS.attempts}`;
    if (!isIntegerIn(run.lastAttempt, lastAttempt, RUN_SUMMARY_LIMITS.lastAttempt)) {
      return `${at}.lastAttempt: must be an integer from the previous entry's (${lastAttempt}) to ${RUN_SUMMARY_LIMITS.lastAttempt}`;
    }
    lastAttempt = run.lastAttempt as number;
  }
  return undefined;
}

function isIntegerIn(v: unknown, min: number, max: number): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

function isTextUpTo(v: unknown, max: number, nonEmpty = false): boolean {
  return typeof v === 'string' && v.length <= max && (!nonEmpty || v.length > 0);
}

/** The summary of a run that ended, as the next run of the same job ID is handed it. */
export function runSummaryOf(status: JobStatus, runId: string, fallbackRun = 1, lastAttemptBefore = 0): RunSummary {
  const cancel = status.cancel;
  const reason =
    status.state === 'CANCELLED' && cancel
      ? cancelledBy(cancel)
      : status.lastError
        ? `${status.lastError.type}: ${status.lastError.message}`
        : undefined;
  return {
    run: status.run ?? fallbackRun,
    runId: runId.slice(0, RUN_SUMMARY_LIMITS.runId),
    state: status.state,
    ...(reason ? { reason: reason.slice(0, RUN_SUMMARY_LIMITS.reason) } : {}),
    startedAt: status.createdAt.slice(0, RUN_SUMMARY_LIMITS.time),
    ...(status.finishedAt ? { finishedAt: status.finishedAt.slice(0, RUN_SUMMARY_LIMITS.time) } : {}),
    attempts: Math.min(status.attempts.length, RUN_SUMMARY_LIMITS.attempts),
    lastAttempt: Math.min(Math.max(lastAttemptBefore, ...status.attempts.map((a) => a.n)), RUN_SUMMARY_LIMITS.lastAttempt),
  };
}

/** The attempt number a run's attempts count on from: the last one its earlier runs used (0 for a first run). */
export function attemptsBefore(previousRuns: RunSummary[] | undefined): number {
  return previousRuns?.at(-1)?.lastAttempt ?? 0;
}

/** The earlier runs a rerun is handed: the ended run's own earlier runs and the run itself, newest MAX_PREVIOUS_RUNS. */
export function previousRunsAfter(ended: JobStatus, runId: string): RunSummary[] {
  const earlier = ended.previousRuns ?? [];
  const last = runSummaryOf(ended, runId, (earlier.at(-1)?.run ?? 0) + 1, attemptsBefore(earlier));
  return [...earlier, last].slice(-MAX_PREVIOUS_RUNS);
}
