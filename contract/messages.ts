/** Signals, queries and updates of the sparkJob workflow: the names every client uses. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CancelAnswer, JobStatus } from './status';

export interface CancelArgs {
  reason?: string;
  requestedBy?: string;
}

export const WORKFLOW_TYPE = 'sparkJob';

/** Fire-and-forget cancel: `temporal workflow signal --name cancel --input '{"reason":"..."}'`. */
export const cancelSignal = defineSignal<[CancelArgs]>('cancel');
/** Cancel that answers with the job's state when the request was accepted. */
export const requestCancelUpdate = defineUpdate<CancelAnswer, [CancelArgs]>('requestCancel');
export const statusQuery = defineQuery<JobStatus>('status');
