/** The status shape: what the `status` query answers and what a finished job returns. */
import type { JobKind } from './jobSpec';
import type { JobState } from './states';
import type { FailureClass } from './errors';

export type AttemptOutcome = 'SUCCEEDED' | 'APP_FAILED' | 'INFRA_FAILED' | 'FATAL' | 'CANCELLED' | 'TIMED_OUT';

export interface AttemptRecord {
  n: number;
  /** Deterministic name `J-aN`: Livy batch name, YARN tag and Spark app name. */
  batchName: string;
  cluster?: string;
  /** The cluster's EMR name (the `Name` EMR shows beside its id), when the directory knows one. */
  clusterName?: string;
  livyUrl?: string;
  /** Why this cluster was chosen. */
  routeReason?: string;
  batchId?: number;
  batchState?: string;
  appId?: string;
  sparkUiUrl?: string;
  driverLogUrl?: string;
  /** True when submission found the batch already there and took it over instead of POSTing. */
  adopted?: boolean;
  submittedAt?: string;
  startedAt?: string;
  finishedAt?: string;
  outcome?: AttemptOutcome;
  reason?: string;
  /** Where the batch's state was last read: Livy, or YARN's ResourceManager once Livy forgot it. */
  source?: 'livy' | 'yarn';
  /**
   * How an attempt that ended without a final batch state was made safe before the next one:
   * killed, gone, cluster-terminated, or sweeper (killed by a sweeper workflow once its cluster answers).
   */
  fence?: string;
}

export type CancelVia = 'signal' | 'update' | 'workflow-cancel';

export interface CancelRequest {
  requestedBy: string;
  reason: string;
  at: string;
  via: CancelVia;
  /** The caller's request id, so a retried request gets the first acceptance's answer. */
  requestId?: string;
  /** The job's state when the cancel was accepted. */
  stateAtAcceptance?: string;
}

/**
 * An earlier run of the same job ID that ended FAILED, CANCELLED or TIMED_OUT before a submit with
 * the same idempotency key (or `shale rerun`) ran the job again. The client hands these to the new
 * run in its input; the workflow keeps them in its status, so status and audit show every run.
 */
export interface RunSummary {
  /** 1 for the job's first run, 2 for the first rerun, and so on. */
  run: number;
  runId: string;
  state: JobState;
  /** Why it ended: the last error, or who cancelled it and why. */
  reason?: string;
  startedAt: string;
  finishedAt?: string;
  /** How many attempts (Livy batches) the run made. */
  attempts: number;
  /**
   * The highest attempt number the job had used when the run ended. Attempts are numbered across
   * runs (a rerun's first attempt is lastAttempt + 1), so every attempt's batch name `J-aN` stays
   * unique to it: a rerun never adopts an earlier run's batch.
   */
  lastAttempt: number;
}

export interface JobError {
  type: string;
  class: FailureClass;
  message: string;
}

export interface JobStatus {
  jobId: string;
  name: string;
  team: string;
  kind: JobKind;
  state: JobState;
  requestedBy?: string;
  labels: Record<string, string>;
  fingerprint: string;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  attempts: AttemptRecord[];
  budgets: { appFailures: number; appRetries: number; infraFailures: number; infraRetries: number };
  /** Clusters this job lost (terminated, or Livy unreachable past its grace): never routed to again. */
  lostClusters?: string[];
  nextAttemptAt?: string;
  cancel?: CancelRequest;
  lastError?: JobError;
  /** The last lines of the current (or last) attempt's Livy log, kept once Livy forgets the batch. */
  logTail: string[];
  /** Which run of the job ID this is: 1 for the first, n+1 for a rerun after n runs that did not succeed. */
  run?: number;
  /** The job's earlier runs (each ended FAILED, CANCELLED or TIMED_OUT), oldest first; at most MAX_PREVIOUS_RUNS. */
  previousRuns?: RunSummary[];
  /**
   * Set by the client, never by the workflow: something the status cannot show by itself, e.g. that no
   * worker polls the job's task queue (so a QUEUED job is not being picked up).
   */
  note?: string;
}

/** The answer to Update `requestCancel` and to `ShaleClient.cancel`. */
export interface CancelAnswer {
  /** False when the job had already finished or a cancel was already under way. */
  accepted: boolean;
  state: JobState;
  message: string;
}
