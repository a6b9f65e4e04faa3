/**
 * sparkJob: one Spark job's whole lifecycle. Deterministic: it imports only the contract and the
 * Temporal workflow API; everything that touches Livy or EMR happens in activities.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type {
  AttemptOutcome,
  BatchRef,
  BatchSnapshot,
  CancelAnswer,
  CancelArgs,
  CancelVia,
  ClusterChoice,
  JobError,
  JobSpec,
  JobStatus,
  SparkJobInput,
} from '../contract';
// Runtime imports name their module: the contract's index would load the spec schema (zod) into every workflow.
import { ErrorType } from '../contract/errors';
import { specFingerprint } from '../contract/fingerprint';
import { attemptName } from '../contract/jobId';
import { cancelSignal, requestCancelUpdate, statusQuery } from '../contract/messages';
import { isTerminalBatchState } from '../contract/states';
import { DEFAULT_HISTORY_LIMIT, DEFAULT_TRACK_WINDOW_SECONDS } from '../contract/workflowInput';
import { killing, reconciling, routing, submitting, tracking } from './activityStubs';
import { backoffSeconds } from './backoff';
import { raceDeadline, startDeadline } from './deadline';
import { jobErrorForFinishedBatch, jobErrorFrom } from './failures';
import { JobRecord, newStatus } from './jobRecord';

type AttemptResult = { kind: 'succeeded' } | { kind: 'failed'; error: JobError } | { kind: 'timed-out'; reason: string };

const OUTCOME_BY_CLASS: Record<JobError['class'], AttemptOutcome> = { app: 'APP_FAILED', infra: 'INFRA_FAILED', fatal: 'FATAL' };

export async function sparkJob(input: SparkJobInput): Promise<JobStatus> {
  const job = new SparkJob(input, vouchedSpec(input) ?? (await validatedSpec(input)));
  return job.run();
}

/**
 * ShaleClient submits parseJobSpec's normalized output with its fingerprint: a spec that matches its
 * fingerprint is taken as it is. The schema (zod) is then never loaded into the workflow's sandbox,
 * where it would be evaluated again for every job and every replay (most of a new job's CPU).
 */
function vouchedSpec(input: SparkJobInput): JobSpec | undefined {
  try {
    return specFingerprint(input.spec as JobSpec) === input.fingerprint ? (input.spec as JobSpec) : undefined;
  } catch {
    return undefined; // not even an object: validation below says what is wrong
  }
}

/** A spec started any other way (`temporal workflow start`, the Web UI) is validated here, field by field. */
async function validatedSpec(input: SparkJobInput): Promise<JobSpec> {
  const { parseJobSpec, formatFieldErrors } = await import(/* webpackMode: "eager" */ '../contract/jobSpec');
  const parsed = parseJobSpec(input.spec);
  if (!parsed.ok) {
    throw ApplicationFailure.create({
      type: ErrorType.InvalidSpec,
      message: `invalid job spec: ${formatFieldErrors(parsed.errors)}`,
      nonRetryable: true,
      details: [parsed.errors],
    });
  }
  return parsed.spec;
}

class SparkJob {
  private readonly record: JobRecord;
  /** Everything cancellable about the job runs in this scope; cancel() is the one cancellation path. */
  private readonly scope = new CancellationScope();
  private readonly windowSeconds: number;
  private readonly historyLimit: number;

  constructor(
    private readonly input: SparkJobInput,
    private readonly spec: JobSpec,
  ) {
    this.record = new JobRecord(input.resume?.status ?? newStatus(input.jobId, spec, input.fingerprint));
    this.windowSeconds = input.options?.trackWindowSeconds ?? DEFAULT_TRACK_WINDOW_SECONDS;
    this.historyLimit = input.options?.historyLimit ?? DEFAULT_HISTORY_LIMIT;
    setHandler(statusQuery, () => this.record.snapshot());
    setHandler(cancelSignal, (args) => void this.cancel(args ?? {}, 'signal'));
    setHandler(requestCancelUpdate, (args) => this.cancel(args ?? {}, 'update'));
  }

  async run() {
    if (!this.input.resume) this.record.announce();
    // Native cancellation is recorded the moment it arrives, as a signal or an Update is: not only once the
    // cancellable work has unwound (a POST in flight runs on), so a later request is seen as a second one.
    CancellationScope.current().cancelRequested.catch(() => this.recordWorkflowCancel());
    try {
      await this.scope.run(() => this.runAttempts());
    } catch (err) {
      if (!isCancellation(err)) throw err;
      this.recordWorkflowCancel();
      await CancellationScope.nonCancellable(() => this.cleanUpAfterCancel());
    }
    return this.record.snapshot();
  }

  /** Native workflow cancellation (UI button, `temporal workflow cancel`), unless a cancel is already on record. */
  private recordWorkflowCancel(): void {
    if (this.record.status.cancel || this.record.isFinished) return;
    this.record.recordCancel({
      requestedBy: 'temporal',
      reason: 'workflow cancellation requested',
      at: new Date().toISOString(),
      via: 'workflow-cancel',
    });
  }

  private cancel(args: CancelArgs, via: CancelVia): CancelAnswer {
    const { state, cancel } = this.record.status;
    if (this.record.isFinished) return { accepted: false, state, message: `the job already ended ${state}` };
    if (cancel) {
      return { accepted: false, state, message: `a cancel was already requested by ${cancel.requestedBy} at ${cancel.at}` };
    }
    this.record.recordCancel({
      requestedBy: args.requestedBy?.slice(0, 200) || 'unknown',
      reason: args.reason?.slice(0, 1000) || 'no reason given',
      at: new Date().toISOString(),
      via,
    });
    this.scope.cancel();
    return { accepted: true, state, message: `cancel accepted while ${state}` };
  }

  private async runAttempts(): Promise<void> {
    let resumed = this.input.resume?.tracking;
    for (;;) {
      let result: AttemptResult | 'queue-timeout';
      if (resumed) {
        result = await this.track(resumed.ref, resumed.knownState);
        resumed = undefined;
      } else {
        result = await this.attempt();
      }
      if (result === 'queue-timeout') {
        this.record.status.lastError = {
          type: 'QueueTimeout',
          class: 'fatal',
          message: `no cluster took the job within timeouts.queue (${this.spec.timeouts.queue}s)`,
        };
        this.record.setState('TIMED_OUT');
        return;
      }
      if (result.kind === 'succeeded') {
        this.record.finishAttempt('SUCCEEDED');
        this.record.setState('SUCCEEDED');
        return;
      }
      if (result.kind === 'timed-out') {
        this.record.status.lastError = { type: 'RunTimeout', class: 'fatal', message: result.reason };
        this.record.finishAttempt('TIMED_OUT', result.reason);
        this.record.setState('TIMED_OUT');
        return;
      }
      const { error } = result;
      this.noteLostCluster(error);
      this.record.recordError(error);
      this.record.finishAttempt(OUTCOME_BY_CLASS[error.class], error.message);
      if (!this.record.canRetry(error)) {
        this.record.setState('FAILED');
        return;
      }
      await this.backOff();
    }
  }

  /** Routes, submits and tracks attempt n+1. */
  private async attempt(): Promise<AttemptResult | 'queue-timeout'> {
    const n = this.record.status.attempts.length + 1;
    const lost = this.record.status.lostClusters ?? [];
    let choice: ClusterChoice | undefined;
    try {
      choice = await this.route(n, lost);
    } catch (err) {
      if (isCancellation(err)) throw err;
      const error = jobErrorFrom(err);
      if (error.type === ErrorType.NoMatchingCluster && lost.length > 0) {
        // Everything the route allows has been lost: say so, not "no match".
        const message = `no healthy cluster left for the route after losing ${lost.join(', ')}`;
        return { kind: 'failed', error: { type: ErrorType.ClusterLost, class: 'fatal', message } };
      }
      return { kind: 'failed', error };
    }
    if (!choice) return 'queue-timeout';

    const batchName = attemptName(this.input.jobId, n);
    this.record.startAttempt({
      n,
      batchName,
      cluster: choice.cluster,
      livyUrl: choice.livyUrl,
      routeReason: choice.reason,
      submittedAt: new Date().toISOString(),
    });
    this.record.setState('SUBMITTING');
    // Not cancellable: a POST in flight must be allowed to return, so a cancel can DELETE what it made.
    let submitted;
    try {
      submitted = await CancellationScope.nonCancellable(() =>
        submitting.submitBatch({ jobId: this.input.jobId, cluster: choice.cluster, livyUrl: choice.livyUrl, batchName, spec: this.spec }),
      );
    } catch (err) {
      return { kind: 'failed', error: jobErrorFrom(err) };
    }
    this.record.recordBatch(submitted);
    this.record.currentAttempt!.adopted = submitted.adopted;
    const ref: BatchRef = { cluster: choice.cluster, livyUrl: choice.livyUrl, batchId: submitted.batchId, batchName };
    return this.track(ref, submitted.state);
  }

  private async route(n: number, exclude: string[]): Promise<ClusterChoice | undefined> {
    const deadline = startDeadline(this.spec.timeouts.queue);
    try {
      const result = await raceDeadline(deadline, () =>
        routing.routeJob({ jobId: this.input.jobId, attempt: n, route: this.spec.route, exclude }),
      );
      return result.expired ? undefined : result.value;
    } finally {
      deadline?.clear();
    }
  }

  /** Waits for state changes until the batch ends, recording only changes (rule 2). */
  private async track(initialRef: BatchRef, initialState: string): Promise<AttemptResult> {
    let ref = initialRef;
    const deadline = startDeadline(this.runSecondsLeft());
    try {
      let state = initialState;
      this.reflectBatchState(state);
      while (!isTerminalBatchState(state)) {
        await this.continueAsNewIfDue(ref, state);
        let result;
        try {
          result = await raceDeadline(deadline, () =>
            tracking(this.windowSeconds).waitForBatchChange({ ...ref, knownState: state, windowSeconds: this.windowSeconds }),
          );
        } catch (err) {
          if (isCancellation(err)) throw err;
          const error = jobErrorFrom(err);
          const found = await this.reconcile(ref, error);
          if (!found) return { kind: 'failed', error };
          // Livy still has a batch by our name (e.g. it recovered under a new id): adopt it.
          ref = { ...ref, batchId: found.batchId };
          this.record.recordBatch(found);
          state = found.state;
          this.reflectBatchState(state);
          continue;
        }
        if (result.expired) return this.killForRunTimeout(ref);
        this.record.recordBatch(result.value);
        state = result.value.state;
        this.reflectBatchState(state);
      }
      const error = jobErrorForFinishedBatch(state, this.record.status.logTail);
      return error ? { kind: 'failed', error } : { kind: 'succeeded' };
    } finally {
      deadline?.clear();
    }
  }

  /** Rule 5: before calling a batch lost, look it up by name on its cluster. A dead cluster is not asked. */
  private async reconcile(ref: BatchRef, error: JobError): Promise<BatchSnapshot | undefined> {
    if (error.type !== ErrorType.BatchLost) return undefined;
    try {
      return await reconciling.reconcileBatch({ cluster: ref.cluster, livyUrl: ref.livyUrl, batchName: ref.batchName });
    } catch (err) {
      if (isCancellation(err)) throw err;
      return undefined;
    }
  }

  /** A cluster that died under the job is never chosen again for it. */
  private noteLostCluster(error: JobError): void {
    const cluster = this.record.currentAttempt?.cluster;
    if (!cluster || (error.type !== ErrorType.ClusterLost && error.type !== ErrorType.LivyUnreachable)) return;
    const lost = (this.record.status.lostClusters ??= []);
    if (!lost.includes(cluster)) lost.push(cluster);
  }

  private runSecondsLeft(): number | undefined {
    const limit = this.spec.timeouts.run;
    const submittedAt = this.record.currentAttempt?.submittedAt;
    if (limit === undefined || !submittedAt) return limit;
    return limit - (Date.now() - Date.parse(submittedAt)) / 1000;
  }

  private async killForRunTimeout(ref: BatchRef): Promise<AttemptResult> {
    const killed = await CancellationScope.nonCancellable(() => killing.killBatch(ref));
    if (isTerminalBatchState(killed.stateBefore)) {
      // The batch finished just before the deadline: its real outcome stands.
      this.record.recordBatch({ batchId: ref.batchId, batchName: ref.batchName, state: killed.stateBefore, log: killed.log });
      const error = jobErrorForFinishedBatch(killed.stateBefore, this.record.status.logTail);
      return error ? { kind: 'failed', error } : { kind: 'succeeded' };
    }
    return { kind: 'timed-out', reason: `the attempt ran past timeouts.run (${this.spec.timeouts.run}s); the batch was killed` };
  }

  private reflectBatchState(batchState: string): void {
    if (batchState === 'starting' || batchState === 'not_started') this.record.setState('STARTING');
    else if (!isTerminalBatchState(batchState)) this.record.setState('RUNNING');
  }

  private async backOff(): Promise<void> {
    const { appFailures, infraFailures } = this.record.status.budgets;
    const delay = backoffSeconds(appFailures + infraFailures, this.spec.retry.initialBackoff, this.spec.retry.maxBackoff, Math.random);
    this.record.setState('RETRYING', { nextAttemptAt: new Date(Date.now() + delay * 1000).toISOString() });
    await sleep(delay * 1000);
  }

  private async continueAsNewIfDue(ref: BatchRef, knownState: string): Promise<void> {
    const info = workflowInfo();
    if (!info.continueAsNewSuggested && info.historyLength < this.historyLimit) return;
    await condition(allHandlersFinished);
    await continueAsNew<typeof sparkJob>({
      ...this.input,
      spec: this.spec,
      resume: { status: this.record.snapshot(), tracking: { ref, knownState } },
    });
  }

  /** Runs in a non-cancellable scope: every row of the cancellation table (rule 4). */
  private async cleanUpAfterCancel(): Promise<void> {
    const attempt = this.record.currentAttempt;
    const live = attempt && !attempt.outcome && attempt.batchId !== undefined && !isTerminalBatchState(attempt.batchState ?? '');
    if (attempt && live && attempt.cluster && attempt.livyUrl) {
      const ref: BatchRef = { cluster: attempt.cluster, livyUrl: attempt.livyUrl, batchId: attempt.batchId!, batchName: attempt.batchName };
      const killed = await killing.killBatch(ref);
      if (killed.stateBefore === 'success' || killed.stateBefore === 'dead') {
        // The batch finished before the cancel reached it: report what really happened.
        this.record.recordBatch({ batchId: ref.batchId, batchName: ref.batchName, state: killed.stateBefore, log: killed.log });
        const error = jobErrorForFinishedBatch(killed.stateBefore, this.record.status.logTail);
        if (!error) {
          this.record.finishAttempt('SUCCEEDED');
          this.record.setState('SUCCEEDED');
        } else {
          this.record.recordError(error);
          this.record.finishAttempt(OUTCOME_BY_CLASS[error.class], error.message);
          this.record.setState('FAILED');
        }
        return;
      }
      if (killed.stateBefore !== 'gone') this.record.recordBatch({ batchId: ref.batchId, batchName: ref.batchName, state: 'killed', log: killed.log });
    }
    const cancel = this.record.status.cancel;
    this.record.finishAttempt('CANCELLED', cancel ? `cancelled by ${cancel.requestedBy}: ${cancel.reason}` : 'cancelled');
    this.record.setState('CANCELLED');
  }
}
