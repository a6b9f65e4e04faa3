import { ActivityFailure, ApplicationFailure, RetryState, TimeoutFailure, TimeoutType } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { classifyFailure, ErrorType, NON_RETRYABLE_ACTIVITY_ERRORS } from '../../contract';
import { jobErrorForFinishedBatch, jobErrorFrom } from '../../workflows/failures';

describe('classifyFailure', () => {
  it('AppFailed is an app failure', () => {
    expect(classifyFailure(ErrorType.AppFailed)).toBe('app');
  });

  it.each([
    ErrorType.LivyCapacity,
    ErrorType.LivyUnreachable,
    ErrorType.LivyServerError,
    ErrorType.LivyNotFound,
    ErrorType.BatchLost,
    ErrorType.ClusterLost,
    ErrorType.NoHealthyCluster,
  ])('%s is an infra failure', (type) => {
    expect(classifyFailure(type)).toBe('infra');
  });

  it.each([
    ErrorType.InvalidSpec,
    ErrorType.IdempotencyConflict,
    ErrorType.LivyBadRequest,
    ErrorType.LivyAuth,
    ErrorType.NoMatchingCluster,
    ErrorType.JobNotFound,
  ])('%s is fatal', (type) => {
    expect(classifyFailure(type)).toBe('fatal');
  });

  it('treats unknown and missing types as fatal, and is case-sensitive', () => {
    expect(classifyFailure(undefined)).toBe('fatal');
    expect(classifyFailure('Error')).toBe('fatal');
    expect(classifyFailure('BatchKilled')).toBe('fatal');
    expect(classifyFailure('appfailed')).toBe('fatal');
    expect(classifyFailure('')).toBe('fatal');
  });

  it('classifies every declared error type', () => {
    for (const type of Object.values(ErrorType)) expect(['app', 'infra', 'fatal']).toContain(classifyFailure(type));
  });

  it('never lets Temporal retry fatal activity errors on its own', () => {
    for (const type of [ErrorType.InvalidSpec, ErrorType.LivyBadRequest, ErrorType.LivyAuth, ErrorType.NoMatchingCluster]) {
      expect(NON_RETRYABLE_ACTIVITY_ERRORS).toContain(type);
    }
    // transient trouble is retried by the activity's own policy
    expect(NON_RETRYABLE_ACTIVITY_ERRORS).not.toContain(ErrorType.LivyUnreachable);
    expect(NON_RETRYABLE_ACTIVITY_ERRORS).not.toContain(ErrorType.LivyServerError);
  });
});

describe('jobErrorForFinishedBatch', () => {
  const APP_LOG = [
    'stdout: line 1 of job-a1',
    'stderr: 24/01/01 ERROR Executor: Exception in task 0.0: java.lang.NullPointerException',
    'stdout: line 2 of job-a1',
    'YARN Diagnostics: User application exited with status 1',
  ];

  it('success is no error', () => {
    expect(jobErrorForFinishedBatch('success', APP_LOG)).toBeUndefined();
    expect(jobErrorForFinishedBatch('success', [])).toBeUndefined();
  });

  it('dead is an app failure quoting the last diagnostic line', () => {
    expect(jobErrorForFinishedBatch('dead', APP_LOG)).toEqual({
      type: ErrorType.AppFailed,
      class: 'app',
      message: 'the Spark app ended dead: YARN Diagnostics: User application exited with status 1',
    });
  });

  it('quotes the last line mentioning an error or exception when there are no diagnostics', () => {
    const log = APP_LOG.slice(0, 3);
    expect(jobErrorForFinishedBatch('dead', log)?.message).toBe(`the Spark app ended dead: ${APP_LOG[1]}`);
  });

  it('says the app exited without an error message when no line says why, quoting its last line if any', () => {
    expect(jobErrorForFinishedBatch('dead', ['stdout: a', 'stdout: b'])?.message).toBe('the Spark app ended dead: exited without an error message; its last line: stdout: b');
    expect(jobErrorForFinishedBatch('dead', [])).toEqual({ type: ErrorType.AppFailed, class: 'app', message: 'the Spark app ended dead: exited without an error message' });
  });

  it("treats Livy's 'error' state like dead", () => {
    expect(jobErrorForFinishedBatch('error', APP_LOG)).toMatchObject({ type: ErrorType.AppFailed, class: 'app', message: expect.stringMatching(/ended error/) });
  });

  it('killed outside Shale is fatal (someone meant it), not retried', () => {
    const err = jobErrorForFinishedBatch('killed', APP_LOG);
    expect(err).toEqual({ type: 'BatchKilled', class: 'fatal', message: 'the batch was killed outside Shale' });
    expect(classifyFailure(err!.type)).toBe(err!.class);
  });

  it("dead because Livy's YARN monitor lost the app is an infra failure (BatchLost), not the app's fault", () => {
    const noApp = [
      'stdout: ',
      'YARN Diagnostics: No YARN application is found with tag livy-batch-7-abcd in 120 seconds. This may be because 1) spark-submit fail to submit application to YARN; or 2) YARN cluster doesn\'t have enough resources to start the application in time.',
    ];
    const err = jobErrorForFinishedBatch('dead', noApp);
    expect(err).toMatchObject({ type: ErrorType.BatchLost, class: 'infra' });
    expect(err!.message).toMatch(/^Livy lost track of the app: YARN Diagnostics: No YARN application is found/);

    const rmDown = ['stderr: Failed to contact YARN: ResourceManager at ip-10-0-0-1:8032 connection refused'];
    expect(jobErrorForFinishedBatch('dead', rmDown)).toMatchObject({ type: ErrorType.BatchLost, class: 'infra' });
    expect(jobErrorForFinishedBatch('dead', ['ResourceManager unreachable'])).toMatchObject({ class: 'infra' });
  });

  it('classes always agree with classifyFailure', () => {
    for (const [state, log] of [['dead', APP_LOG], ['dead', ['No YARN application is found with tag x']], ['killed', []], ['error', []]] as const) {
      const err = jobErrorForFinishedBatch(state, log)!;
      expect(classifyFailure(err.type)).toBe(err.class);
    }
  });

  it('does not mutate the log it reads', () => {
    const log = [...APP_LOG];
    jobErrorForFinishedBatch('dead', log);
    expect(log).toEqual(APP_LOG);
  });
});

describe('jobErrorFrom', () => {
  const activityFailure = (cause: Error) =>
    new ActivityFailure('activity failed', 'submitBatch', '1', RetryState.NON_RETRYABLE_FAILURE, 'worker', cause);

  it('reads the type of an ApplicationFailure thrown by an activity and classifies it', () => {
    const cause = ApplicationFailure.create({ type: ErrorType.LivyCapacity, message: 'too many sessions' });
    expect(jobErrorFrom(activityFailure(cause))).toEqual({ type: ErrorType.LivyCapacity, class: 'infra', message: 'too many sessions' });
    expect(jobErrorFrom(ApplicationFailure.create({ type: ErrorType.LivyAuth, message: 'no' }))).toMatchObject({ class: 'fatal' });
  });

  it('turns an activity that timed out on every try into LivyUnreachable (infra)', () => {
    const err = jobErrorFrom(activityFailure(new TimeoutFailure('timed out', undefined, TimeoutType.START_TO_CLOSE)));
    expect(err).toMatchObject({ type: ErrorType.LivyUnreachable, class: 'infra' });
  });

  it('treats anything else as fatal', () => {
    expect(jobErrorFrom(new Error('boom'))).toEqual({ type: 'Error', class: 'fatal', message: 'boom' });
    expect(jobErrorFrom('weird')).toEqual({ type: 'Error', class: 'fatal', message: 'weird' });
  });
});
