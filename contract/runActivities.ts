/**
 * Activities about the job's own run (not Livy or EMR): a workflow cannot ask Temporal to cancel
 * itself, nor read its own history, so the worker's Temporal client does both for it. The inputs are
 * the run's own ids, which only the workflow supplies.
 */
/**
 * The reason a run cancelled by signal or Update gives when it asks Temporal to cancel it (so that it
 * closes Canceled): the audit and the canceller's record leave that request out, it is not a new cancel.
 */
export const CLOSE_AS_CANCELLED_REASON = 'shale: the job was cancelled; closing its run as Canceled';

export interface RunRef {
  workflowId: string;
  runId: string;
}

/** Who asked Temporal to cancel the run (the WorkflowExecutionCancelRequested event), as far as the event says. */
export interface CancelRequester {
  /** The requester's Temporal identity (the Web UI's user, `temporal workflow cancel`'s identity), if it sent one. */
  identity?: string;
  /** The reason it gave, if any. */
  reason?: string;
}

export interface RunActivities {
  /**
   * Asks Temporal to cancel this run. A job cancelled by signal or Update calls it once its cleanup
   * is done, so that its run closes Canceled like one cancelled from the Web UI.
   */
  requestRunCancellation(input: RunRef): Promise<void>;
  /** Who requested the run's (first) native cancellation, read from its history. */
  cancelRequester(input: RunRef): Promise<CancelRequester>;
}
