/** A job's lifecycle, as the status query and the ShaleState search attribute report it. */
export const JOB_STATES = [
  'QUEUED',
  'SUBMITTING',
  'STARTING',
  'RUNNING',
  'RETRYING',
  'SUCCEEDED',
  'FAILED',
  'CANCELLED',
  'TIMED_OUT',
] as const;
export type JobState = (typeof JOB_STATES)[number];

export const TERMINAL_JOB_STATES: ReadonlySet<JobState> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT']);

export function isTerminalJobState(state: JobState): boolean {
  return TERMINAL_JOB_STATES.has(state);
}

/** Livy batch states (LIVY.md). Interactive-only states are tolerated as "not finished". */
export type LivyBatchState =
  | 'not_started'
  | 'starting'
  | 'recovering'
  | 'idle'
  | 'running'
  | 'busy'
  | 'shutting_down'
  | 'error'
  | 'dead'
  | 'killed'
  | 'success';

const TERMINAL_BATCH_STATES = new Set<string>(['success', 'dead', 'killed', 'error']);

export function isTerminalBatchState(state: string): boolean {
  return TERMINAL_BATCH_STATES.has(state);
}
