/**
 * The paths a release's replay corpus must cover: one recorded workflow each (a job, or a readJobLog
 * read), one history per run and one per child workflow it started (a sweeper). The recorder
 * (test/replay/record.recorder.ts) drives every one; replay.test.ts fails when the current
 * release's corpus lacks one. Add a path here and to the recorder together.
 */
import { CANCEL_PATHS } from '../support/cancelPaths';

/** When a cancel arrives; each is recorded through every path of CANCEL_PATHS (signal, Update, native). */
export const CANCEL_MOMENTS = {
  queued: 'before submission: no healthy cluster, the job waits in QUEUED',
  submitting: 'while the POST is in flight (SUBMITTING): the batch is killed once the POST returns',
  starting: 'while the batch is STARTING',
  running: 'while the batch is RUNNING',
  retrying: 'between attempts (RETRYING, in the backoff sleep)',
  'batch-ended': 'after the batch finished but before the job saw it: the real outcome stands',
  twice: 'a second cancel through this path after a first one (by Update) was accepted',
} as const;

export type CancelMoment = keyof typeof CANCEL_MOMENTS;

/**
 * Every end closes the workflow the way the job ended (release 0.3.0): SUCCEEDED completes it;
 * FAILED (retries-exhausted, policy-refused, cluster-lost, …) and TIMED_OUT (run-timeout,
 * queue-timeout, capacity-queue-timeout) fail it with JobFailed/JobTimedOut; every cancel-* path ends
 * Canceled (a signal or Update cancel through requestRunCancellation, a native one after
 * cancelRequester); rerun-after-failure is a new run of a job ID that carries its earlier runs.
 */
const CORE_PATHS = {
  success: 'one attempt, SUCCEEDED',
  'rerun-after-failure':
    'the same idempotency key after a FAILED end: a new run of the job ID with previousRuns (its attempts numbered on from them), SUCCEEDED',
  'app-failure-retry': 'the app fails (dead), the job backs off and attempt 2 succeeds',
  'retries-exhausted': 'the app fails more often than retry.app allows: FAILED',
  'submit-retried': "the POST's answer is lost: the submit activity is retried and adopts the batch by name",
  'submit-outage': 'Livy drops every connection right after routing: the submit activity is retried through the outage (no failover bound) and POSTs once',
  'capacity-backpressure': "Livy answers 'too many sessions': the same attempt waits in QUEUED (jittered backoff) and is POSTed once there is room",
  'capacity-queue-timeout': "Livy's capacity answer lasts past timeouts.queue: TIMED_OUT, no batch made",
  'policy-refused': "validateJob: the team's policy refuses the spec (a denied conf key): FAILED, nothing submitted",
  'batch-lost-retry': 'Livy restarts without state on a cluster without a ResourceManager: the batch is lost, reconcile finds nothing, attempt 2 runs',
  'batch-lost-yarn-killed': "Livy restarts without state, killing its apps: reconcile finds the app KILLED on YARN (an infra failure), attempt 2 runs",
  'reconcile-adopt': "Livy forgot the batch (it finished unseen and Livy's retain expired): reconcile finds its app on YARN and the job takes YARN's outcome",
  'reconcile-yarn-tracked': 'Livy crashes and forgets a running batch: reconcile finds its app running on YARN and the job follows it there to its end',
  'reconcile-new-id': 'Livy restarts and holds the batch again under a new id: the job finds it by name and follows it under the new id',
  'continue-as-new': 'a short historyLimit and trackWindow: the job continues as new while tracking (every run recorded)',
  'run-timeout': 'the attempt runs past timeouts.run: the batch is killed, TIMED_OUT',
  'queue-timeout': 'no cluster takes the job within timeouts.queue: TIMED_OUT',
  'cluster-failover': 'EMR terminates the cluster under a running job: the attempt is fenced (killBatch), attempt 2 on another cluster',
  'cluster-lost': 'every cluster the route allows is terminated (the attempt fenced): ClusterLost',
  'unreachable-fenced':
    'Livy stops answering past livy.failoverAfterUnreachableSeconds, then answers the fence: attempt 1 is killed by name before attempt 2 runs (on the other cluster of the pool)',
  'fence-found-succeeded': 'Livy stops answering past the failover bound while the batch succeeds: the fence finds it succeeded and that is the outcome (never run again)',
  sweeper:
    "Livy stops answering past the failover bound and the fence's kill is unanswered: a sweepBatch child (ABANDON) takes the batch and kills it once Livy answers (its history recorded too); attempt 2 runs on another cluster",
  'no-matching-cluster': 'the routing activity fails for good: no cluster can ever match the route',
  'submit-rejected': 'Livy refuses the POST (400): the submit activity fails for good and the attempt is fenced',
  'invalid-spec': 'started without the client (temporal workflow start) with an invalid spec: validateJob fails it, InvalidSpec',
  'invalid-input': 'started without the client with a forged resume (not a continue-as-new run): refused before any activity, InvalidSpec',
  'hostile-signal-then-cancel': 'a cancel signal with a bad payload is ignored (the job runs on), then a real cancel: CANCELLED',
  'cancel-retried-same-request': 'a cancel Update retried with the same requestId (a new update id) gets the first answer',
  'read-job-log': "readJobLog reads a batch's Livy log through a worker",
  'read-job-log-invalid': 'readJobLog refuses input that is not a Shale attempt: failed before any activity',
  'read-job-log-failed': "readJobLog names a cluster the worker does not know: the activity fails, so does the read",
} as const;

export type CorePath = keyof typeof CORE_PATHS;

export function cancelPathName(moment: CancelMoment, via: (typeof CANCEL_PATHS)[number]): string {
  return `cancel-${moment}-${via}`;
}

/** Every path a release's corpus must hold, with what it is. */
export const REQUIRED_PATHS: Readonly<Record<string, string>> = {
  ...CORE_PATHS,
  ...Object.fromEntries(
    Object.entries(CANCEL_MOMENTS).flatMap(([moment, what]) =>
      CANCEL_PATHS.map((via) => [cancelPathName(moment as CancelMoment, via), `cancel via ${via} ${what}`]),
    ),
  ),
};
