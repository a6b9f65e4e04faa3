/**
 * The activity interface the workflow calls. It lives in the contract so workflow code depends on
 * shapes only, never on activity code (which talks to the network).
 *
 * Activity inputs name a cluster, never a URL: the worker resolves the cluster's Livy (and YARN
 * ResourceManager) address from its own directory, so nothing a caller or a workflow input says can
 * steer where the worker sends its Livy credential.
 */
import type { JobSpec } from './jobSpec';

export interface ClusterChoice {
  cluster: string;
  /** The cluster's EMR name, when it has one: recorded on the attempt beside the id. */
  clusterName?: string;
  /** For the record shown to operators; activities never take it back as an address. */
  livyUrl: string;
  reason: string;
}

export interface RouteInput {
  jobId: string;
  attempt: number;
  route: JobSpec['route'];
  /** Clusters lost earlier in this job (EMR said terminated): never chosen again. */
  exclude: string[];
}

/** Where a batch is read from: Livy while it holds the batch, else YARN's ResourceManager by the attempt's tag. */
export type BatchSource = 'livy' | 'yarn';

export interface BatchRef {
  cluster: string;
  /** The attempt's name `J-aN`: Livy batch name and YARN tag. Batches are addressed by it. */
  batchName: string;
  /** Livy's id when known; informational (ids change meaning after a Livy restart). */
  batchId?: number;
  source?: BatchSource;
}

export interface BatchSnapshot {
  batchId?: number;
  batchName: string;
  state: string;
  appId?: string;
  sparkUiUrl?: string;
  driverLogUrl?: string;
  /** Livy's log lines (last 10 in a snapshot; more once terminal), markers removed. */
  log?: string[];
  /** 'yarn' when Livy had forgotten the batch and the ResourceManager answered for it. */
  source?: BatchSource;
}

export interface ValidateJobInput {
  jobId: string;
  spec: unknown;
}

export interface ValidatedJob {
  spec: JobSpec;
  fingerprint: string;
}

export interface SubmitInput {
  jobId: string;
  cluster: string;
  batchName: string;
  spec: JobSpec;
}

export interface SubmitResult extends BatchSnapshot {
  adopted: boolean;
}

export interface WaitInput extends BatchRef {
  /** The state the workflow last recorded; the activity returns when it differs. */
  knownState: string;
  /** Return with the same state after this long, so the workflow can check in (continue-as-new). */
  windowSeconds: number;
}

export interface KillResult {
  /**
   * The batch's state when we looked, before any DELETE: `gone` if neither Livy nor YARN has it
   * live, `cluster-terminated` if EMR says the cluster is gone (a dead cluster runs nothing).
   */
  stateBefore: string;
  deleted: boolean;
  log?: string[];
}

export interface ReconcileInput {
  cluster: string;
  batchName: string;
}

export interface ShaleActivities {
  /** Every spec is validated (schema and team policy) here before anything is submitted. */
  validateJob(input: ValidateJobInput): Promise<ValidatedJob>;
  routeJob(input: RouteInput): Promise<ClusterChoice>;
  submitBatch(input: SubmitInput): Promise<SubmitResult>;
  waitForBatchChange(input: WaitInput): Promise<BatchSnapshot>;
  /** Fences an attempt: kills its batch by name (or by YARN tag) unless it has ended; idempotent. */
  killBatch(input: BatchRef): Promise<KillResult>;
  /** Rule 5: looks a lost batch up by name on Livy, then by tag on YARN; undefined if neither has it. */
  reconcileBatch(input: ReconcileInput): Promise<BatchSnapshot | undefined>;
}
