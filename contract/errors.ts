/**
 * Error types (ApplicationFailure `type`s) and how the workflow classifies them (DESIGN.md rule 3):
 * app failures and infra failures have separate retry budgets; fatal ones end the job at once.
 */
export const ErrorType = {
  InvalidSpec: 'InvalidSpec',
  IdempotencyConflict: 'IdempotencyConflict',
  AppFailed: 'AppFailed',
  LivyCapacity: 'LivyCapacity',
  LivyDuplicateName: 'LivyDuplicateName',
  LivyNotFound: 'LivyNotFound',
  LivyUnreachable: 'LivyUnreachable',
  LivyBadRequest: 'LivyBadRequest',
  LivyAuth: 'LivyAuth',
  LivyServerError: 'LivyServerError',
  BatchLost: 'BatchLost',
  ClusterLost: 'ClusterLost',
  NoMatchingCluster: 'NoMatchingCluster',
  NoHealthyCluster: 'NoHealthyCluster',
  JobNotFound: 'JobNotFound',
  PolicyViolation: 'PolicyViolation',
  /** The cluster an activity names is not in the worker's directory (and EMR does not say it is gone). */
  UnknownCluster: 'UnknownCluster',
} as const;
export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];

export type FailureClass = 'app' | 'infra' | 'fatal';

const INFRA_TYPES = new Set<string>([
  ErrorType.LivyCapacity,
  ErrorType.LivyUnreachable,
  ErrorType.LivyServerError,
  ErrorType.LivyNotFound,
  ErrorType.BatchLost,
  ErrorType.ClusterLost,
  ErrorType.NoHealthyCluster,
]);

/** Unknown types are treated as fatal: retrying what we do not understand only hides it. */
export function classifyFailure(type: string | undefined): FailureClass {
  if (type === ErrorType.AppFailed) return 'app';
  if (type !== undefined && INFRA_TYPES.has(type)) return 'infra';
  return 'fatal';
}

/** Activity errors that Temporal's own activity retries should not repeat (the workflow decides). */
export const NON_RETRYABLE_ACTIVITY_ERRORS: string[] = [
  ErrorType.InvalidSpec,
  ErrorType.LivyBadRequest,
  ErrorType.LivyAuth,
  ErrorType.LivyCapacity,
  ErrorType.LivyNotFound,
  ErrorType.BatchLost,
  ErrorType.NoMatchingCluster,
  ErrorType.PolicyViolation,
  ErrorType.UnknownCluster,
];
