/**
 * Activity stubs with the timeouts and retry rules each Livy interaction needs.
 *
 * Every stub waits for a cancelled activity to finish (WAIT_CANCELLATION_COMPLETED): the workflow
 * never moves on, or completes, while an activity it cancelled may still report a late result
 * (which would fail the completing workflow task), and a submit cancelled with its POST in flight
 * still tells the workflow what it created.
 */
import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { ShaleActivities } from '../contract';
import type { RunActivities } from '../contract/runActivities';
import { NON_RETRYABLE_ACTIVITY_ERRORS } from '../contract/errors';

const waitForCancellation = { cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED };

/** Validation is pure CPU in the worker: a fast activity, retried only if a worker dies under it. */
export const validating = proxyActivities<Pick<ShaleActivities, 'validateJob'>>({
  ...waitForCancellation,
  summary: 'validate the job spec and the team policy',
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE_ACTIVITY_ERRORS },
});

/** Routing retries forever while no cluster is healthy; the queue timeout bounds the wait. */
export const routing = proxyActivities<Pick<ShaleActivities, 'routeJob'>>({
  ...waitForCancellation,
  summary: 'choose a healthy cluster for the attempt',
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: NON_RETRYABLE_ACTIVITY_ERRORS },
});

/**
 * Submitting is idempotent (look up by name, adopt, else POST), so a try that timed out is simply
 * retried, for as long as Livy does not answer: an unreachable cluster is unhealthy, not lost. The
 * workflow bounds the whole submission (timeouts.queue); the activity itself fails over past the
 * deployment's bound (livy.failoverAfterUnreachableSeconds), and never POSTs after its deadline or
 * its cancellation (it heartbeats, so a cancellation reaches it).
 */
export const submitting = proxyActivities<Pick<ShaleActivities, 'submitBatch'>>({
  ...waitForCancellation,
  summary: "submit the attempt's batch to Livy (adopts it if already there)",
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '20s',
  // At most 10 s between tries: a job learns that Livy answers again within seconds of it doing so.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', nonRetryableErrorTypes: NON_RETRYABLE_ACTIVITY_ERRORS },
});

/** One wait per state change: retried without limit after a worker crash (heartbeat timeout). */
export function tracking(windowSeconds: number) {
  return proxyActivities<Pick<ShaleActivities, 'waitForBatchChange'>>({
    ...waitForCancellation,
    summary: "wait for the batch's next state change",
    startToCloseTimeout: `${windowSeconds + 300}s`,
    heartbeatTimeout: '1 minute',
    retry: { initialInterval: '1s', maximumInterval: '30s', nonRetryableErrorTypes: NON_RETRYABLE_ACTIVITY_ERRORS },
  });
}

/**
 * DELETE is synchronous in Livy and can block for two minutes while YARN kills the app. A few tries:
 * a cluster that does not answer is then left to the sweeper, which kills the batch when it answers.
 */
export const killing = proxyActivities<Pick<ShaleActivities, 'killBatch'>>({
  summary: 'kill the batch if it is still ours and alive, and confirm it is gone',
  startToCloseTimeout: '4 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE_ACTIVITY_ERRORS },
});

/** The sweeper's kill: tried until the cluster answers (or EMR says it is gone), without limit. */
export const sweeping = proxyActivities<Pick<ShaleActivities, 'killBatch'>>({
  summary: 'kill an unfenced attempt once its cluster answers again',
  startToCloseTimeout: '4 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '5 minutes', nonRetryableErrorTypes: NON_RETRYABLE_ACTIVITY_ERRORS },
});

/** A look-up by name (Livy) and by tag (YARN) after a batch went missing: short, and retried a few times. */
export const reconciling = proxyActivities<Pick<ShaleActivities, 'reconcileBatch'>>({
  summary: 'look a lost batch up by name on Livy and by tag on YARN before giving up on it',
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE_ACTIVITY_ERRORS },
});

/** Calls to Temporal about the run itself (short; Temporal answers or the try is repeated a few times). */
export const runCalls = proxyActivities<RunActivities>({
  summary: 'ask Temporal about this run (who cancelled it) or to close it Canceled',
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', maximumInterval: '5s', maximumAttempts: 5 },
});
