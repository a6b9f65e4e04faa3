/**
 * The activity interface the workflow calls. It lives in the contract so workflow code depends on
 * shapes only, never on activity code (which talks to the network).
 */
import type { JobSpec } from './jobSpec';

export interface ClusterChoice {
  cluster: string;
  livyUrl: string;
  reason: string;
}

export interface RouteInput {
  jobId: string;
  attempt: number;
  route: JobSpec['route'];
  /** Clusters lost earlier in this job: never chosen again. */
  exclude: string[];
}

export interface BatchRef {
  cluster: string;
  livyUrl: string;
  batchId: number;
  batchName: string;
}

export interface BatchSnapshot {
  batchId: number;
  batchName: string;
  state: string;
  appId?: string;
  sparkUiUrl?: string;
  driverLogUrl?: string;
  /** Livy's log lines (last 10 in a snapshot; more once terminal). */
  log?: string[];
}

export interface SubmitInput {
  jobId: string;
  cluster: string;
  livyUrl: string;
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
  /** The batch's state when we looked, before any DELETE. `gone` if Livy no longer had it. */
  stateBefore: string;
  deleted: boolean;
  log?: string[];
}

export interface ReconcileInput {
  cluster: string;
  livyUrl: string;
  batchName: string;
}

export interface ShaleActivities {
  routeJob(input: RouteInput): Promise<ClusterChoice>;
  submitBatch(input: SubmitInput): Promise<SubmitResult>;
  waitForBatchChange(input: WaitInput): Promise<BatchSnapshot>;
  killBatch(input: BatchRef): Promise<KillResult>;
  /** Rule 5: looks a lost batch up by name; its snapshot if Livy still has it, else undefined. */
  reconcileBatch(input: ReconcileInput): Promise<BatchSnapshot | undefined>;
}
