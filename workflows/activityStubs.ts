/** Activity stubs with the timeouts and retry rules each Livy interaction needs. */
import { proxyActivities } from '@temporalio/workflow';
import type { ShaleActivities } from '../contract';
import { ErrorType, NON_RETRYABLE_ACTIVITY_ERRORS } from '../contract/errors';

/** Routing retries forever while no cluster is healthy; the queue timeout bounds the wait. */
export const routing = proxyActivities<Pick<ShaleActivities, 'routeJob'>>({
  summary: 'choose a healthy cluster for the attempt',
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: NON_RETRYABLE_ACTIVITY_ERRORS },
});

/**
 * Submitting is idempotent (look up by name, adopt, else POST), so a timed-out try is simply retried.
 * After a few tries it becomes an infra failure of the attempt, which the workflow's budget governs.
 */
export const submitting = proxyActivities<Pick<ShaleActivities, 'submitBatch'>>({
  summary: "submit the attempt's batch to Livy (adopts it if already there)",
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE_ACTIVITY_ERRORS },
});

/** One wait per state change: retried without limit after a worker crash (heartbeat timeout). */
export function tracking(windowSeconds: number) {
  return proxyActivities<Pick<ShaleActivities, 'waitForBatchChange'>>({
    summary: "wait for the batch's next state change",
    startToCloseTimeout: `${windowSeconds + 300}s`,
    heartbeatTimeout: '1 minute',
    retry: {
      initialInterval: '1s',
      maximumInterval: '30s',
      nonRetryableErrorTypes: [...NON_RETRYABLE_ACTIVITY_ERRORS, ErrorType.LivyUnreachable, ErrorType.ClusterLost],
    },
  });
}

/** DELETE is synchronous in Livy and can block for two minutes while YARN kills the app. */
export const killing = proxyActivities<Pick<ShaleActivities, 'killBatch'>>({
  summary: 'kill the batch if it is still ours and alive, and confirm it is gone',
  startToCloseTimeout: '4 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 10 },
});

/** A single look-up by name after a batch went missing: short, and retried a few times. */
export const reconciling = proxyActivities<Pick<ShaleActivities, 'reconcileBatch'>>({
  summary: 'look a lost batch up by name before giving up on it',
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 3 },
});
