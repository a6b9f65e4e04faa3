/**
 * The paths a release's replay corpus must cover: one recorded job (one history per run) each. The
 * recorder (test/replay/record.recorder.ts) drives every one; replay.test.ts fails when the current
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

const CORE_PATHS = {
  success: 'one attempt, SUCCEEDED',
  'app-failure-retry': 'the app fails (dead), the job backs off and attempt 2 succeeds',
  'retries-exhausted': 'the app fails more often than retry.app allows: FAILED',
  'submit-retried': "the POST's answer is lost: the submit activity is retried and adopts the batch by name",
  'batch-lost-retry': 'Livy restarts without state: the batch is lost, reconcile by name finds nothing, attempt 2 runs',
  'reconcile-adopt': 'Livy restarts and the batch is back under a new id: reconcile by name adopts it',
  'continue-as-new': 'a short historyLimit and trackWindow: the job continues as new while tracking (every run recorded)',
  'run-timeout': 'the attempt runs past timeouts.run: the batch is killed, TIMED_OUT',
  'queue-timeout': 'no cluster takes the job within timeouts.queue: TIMED_OUT',
  'cluster-failover': 'EMR terminates the cluster under a running job: attempt 2 on another cluster',
  'cluster-lost': 'every cluster the route allows is terminated: ClusterLost',
  'no-matching-cluster': 'the routing activity fails for good: no cluster can ever match the route',
  'submit-rejected': 'Livy refuses the POST (400): the submit activity fails for good',
  'invalid-spec': 'started without the client (temporal workflow start) with an invalid spec: InvalidSpec',
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
