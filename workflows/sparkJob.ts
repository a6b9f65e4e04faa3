/**
 * sparkJob: one Spark job's whole lifecycle. Deterministic: it imports only the contract and the
 * Temporal workflow API; everything that touches Livy or EMR happens in activities.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  condition,
  continueAsNew,
  isCancellation,
  log,
  ParentClosePolicy,
  setHandler,
  sleep,
  startChild,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
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
  KillResult,
  ResumeState,
  SparkJobInput,
} from '../contract';
// Runtime imports name their module: the contract's index would load the spec schema (zod) into every workflow.
import { ErrorType } from '../contract/errors';
import { attemptName } from '../contract/jobId';
import {
  CANCEL_LIMITS,
  cancelledBy,
  cancelSignal,
  checkCancelArgs,
  checkNoArgs,
  JOB_END_FAILURE_TYPES,
  JOB_STATUS_MEMO_KEY,
  requestCancelUpdate,
  statusQuery,
} from '../contract/messages';
import { isTerminalBatchState } from '../contract/states';
import { attemptsBefore, checkSparkJobInput, DEFAULT_HISTORY_LIMIT, DEFAULT_TRACK_WINDOW_SECONDS } from '../contract/workflowInput';
import { killing, reconciling, routing, runCalls, submitting, tracking, validating } from './activityStubs';
import { backoffSeconds } from './backoff';
import { raceDeadline, startDeadline, type Deadline } from './deadline';
import { jobErrorForFinishedBatch, jobErrorFrom } from './failures';
import { JobRecord, newStatus, provisionalStatus } from './jobRecord';
import { sweepBatch } from './sweepBatch';

/**
 * How an attempt ended. `unfenced` names a batch that may still be live (the attempt ended without
 * Shale seeing its final state): it is killed, or handed to the sweeper, before anything else runs.
 */
type AttemptResult =
  | { kind: 'succeeded' }
  | { kind: 'failed'; error: JobError; unfenced?: BatchRef }
  | { kind: 'timed-out'; reason: string }
  | { kind: 'queue-timeout'; unfenced?: BatchRef };

/** How long a run cancelled by signal or Update waits for its own request to cancel itself to arrive. */
const SELF_CANCEL_WAIT = '30 seconds';

const OUTCOME_BY_CLASS: Record<JobError['class'], AttemptOutcome> = { app: 'APP_FAILED', infra: 'INFRA_FAILED', fatal: 'FATAL' };
const KILLED_OR_GONE = new Set(['gone', 'cluster-terminated', 'killed']);

export async function sparkJob(input: SparkJobInput): Promise<JobStatus> {
  const info = workflowInfo();
  const checked = checkSparkJobInput(input, info.workflowId);
  if (!checked.ok) throw invalidInput(checked.error);
  // A continue-as-new run carries the job's past; a started workflow cannot claim one (it would steer activities).
  if (input.resume && !info.continuedFromExecutionRunId) throw invalidInput('resume: accepted only on a continue-as-new run');
  return new SparkJob(input, input.resume).run();
}

/**
 * The workflow ends the way the job did, so Temporal's own tools (Web UI, `temporal workflow list
 * --query 'ExecutionStatus="Failed"'`) show it: FAILED and TIMED_OUT fail the workflow (the reason in
 * the message, the status in the details; non-retryable: the job's own retries have run).
 */
function jobEndFailure(status: JobStatus): ApplicationFailure {
  const type = status.state === 'TIMED_OUT' ? JOB_END_FAILURE_TYPES.TIMED_OUT : JOB_END_FAILURE_TYPES.FAILED;
  const error = status.lastError;
  const message = error ? `${error.type}: ${error.message}` : `the job ended ${status.state}`;
  return ApplicationFailure.create({ type, message, nonRetryable: true, details: [status] });
}

function invalidInput(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: ErrorType.InvalidSpec, message: `invalid workflow input: ${message}`, nonRetryable: true });
}

class SparkJob {
  private readonly record: JobRecord;
  private spec?: JobSpec;
  /** Everything cancellable about the job runs in this scope; cancel() is the one cancellation path. */
  private readonly scope = new CancellationScope();
  private readonly windowSeconds: number;
  private readonly historyLimit: number;
  /** The batch being tracked right now: a cancel kills it at once, without waiting for the wait to unwind. */
  private tracked?: BatchRef;
  private cancelKill?: Promise<KillResult | undefined>;
  /** Reading who requested a native cancellation (its requester is 'temporal' until then). */
  private namingCanceller?: Promise<void>;
  /** Temporal's own cancellation of this run has arrived (the UI button, `temporal workflow cancel`, or our own request). */
  private workflowCancelRequested = false;

  constructor(
    private readonly input: SparkJobInput,
    private readonly resume: ResumeState | undefined,
  ) {
    this.record = new JobRecord(resume?.status ?? provisionalStatus(input.jobId, input.spec));
    if (!resume) this.record.setRuns(input.previousRuns ?? []);
    this.spec = resume ? (input.spec as JobSpec) : undefined;
    this.windowSeconds = input.options?.trackWindowSeconds ?? DEFAULT_TRACK_WINDOW_SECONDS;
    this.historyLimit = input.options?.historyLimit ?? DEFAULT_HISTORY_LIMIT;
    // Every handler checks what it is sent: a bad payload never reaches the job's state.
    setHandler(statusQuery, (...args: unknown[]) => {
      const checked = checkNoArgs(args);
      if (!checked.ok) throw new Error(checked.error);
      return this.record.snapshot();
    });
    setHandler(cancelSignal, (args?: unknown) => {
      const checked = checkCancelArgs(args);
      if (!checked.ok) {
        log.warn('cancel signal ignored: bad payload', { event: 'job.cancel-ignored', jobId: input.jobId, error: checked.error });
        return;
      }
      this.cancel(checked.value, 'signal');
    });
    setHandler(
      requestCancelUpdate,
      (args?: unknown) => {
        const checked = checkCancelArgs(args); // the validator below has already refused anything else
        return this.cancel(checked.ok ? checked.value : {}, 'update');
      },
      {
        validator: (args?: unknown) => {
          const checked = checkCancelArgs(args);
          if (!checked.ok) throw new Error(checked.error);
        },
      },
    );
  }

  async run(): Promise<JobStatus> {
    // Native cancellation is recorded the moment it arrives, as a signal or an Update is: not only once the
    // cancellable work has unwound (a POST in flight runs on), so a later request is seen as a second one.
    CancellationScope.current().cancelRequested.catch(() => {
      this.workflowCancelRequested = true;
      this.recordWorkflowCancel();
    });
    try {
      await this.scope.run(async () => {
        if (this.resume || (await this.validate())) await this.runAttempts();
      });
    } catch (err) {
      if (!isCancellation(err)) throw err;
      this.recordWorkflowCancel();
      await CancellationScope.nonCancellable(() => this.cleanUpAfterCancel());
    }
    // A kill a cancel started is seen through whatever ended the job: the run never closes with it pending.
    if (this.cancelKill) await CancellationScope.nonCancellable(() => this.cancelKill!);
    return this.end(this.record.snapshot());
  }

  /** Ends the workflow the way the job ended (see JOB_END_FAILURE_TYPES). */
  private async end(status: JobStatus): Promise<JobStatus> {
    if (status.state === 'SUCCEEDED') return status;
    if (status.state !== 'CANCELLED') throw jobEndFailure(status);
    upsertMemo({ [JOB_STATUS_MEMO_KEY]: status });
    if (!this.workflowCancelRequested) {
      // Cancelled by signal or Update: the run asks Temporal to cancel itself, since only a run whose
      // cancellation was requested can close Canceled (else it would close Failed).
      // (A workflow cannot request its own cancellation: an activity asks Temporal for it.) The request
      // arrives within moments; the bound only keeps a lost one from holding the run open.
      const info = workflowInfo();
      let arrived = false;
      try {
        await CancellationScope.nonCancellable(() => runCalls.requestRunCancellation({ workflowId: info.workflowId, runId: info.runId }));
        arrived = await condition(() => this.workflowCancelRequested, SELF_CANCEL_WAIT);
      } catch (err) {
        arrived = isCancellation(err);
        if (!arrived) log.warn('could not request its own cancellation', { event: 'job.cancel-close', jobId: info.workflowId, error: String(err) });
      }
      if (!arrived) log.warn('the run closes Failed (cancelled), not Canceled: its own cancellation did not arrive', { event: 'job.cancel-close', jobId: info.workflowId });
    }
    const cancel = status.cancel;
    throw new CancelledFailure(cancel ? cancelledBy(cancel) : 'the job was cancelled', [status]);
  }

  /** Rule: every spec is validated (schema and team policy) in an activity before anything is submitted. */
  /** False when the job ended here (FAILED: refused by its team's policy). */
  private async validate(): Promise<boolean> {
    let validated;
    try {
      validated = await validating.validateJob({ jobId: this.input.jobId, spec: this.input.spec });
    } catch (err) {
      if (isCancellation(err)) throw err;
      const error = jobErrorFrom(err);
      this.record.status.lastError = error;
      this.record.setState('FAILED');
      // A valid spec the team's policy refuses is a job that failed, like any other fatal failure.
      if (error.type === ErrorType.PolicyViolation) return false;
      // A spec that is not one fails the workflow; the field-level errors travel in the failure's details.
      const details = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause.details : undefined;
      throw ApplicationFailure.create({ type: error.type, message: error.message, nonRetryable: true, details: details ? [...details] : undefined });
    }
    this.spec = validated.spec;
    this.record.adopt(newStatus(this.input.jobId, validated.spec, validated.fingerprint));
    this.record.announce();
    return true;
  }

  /** Native workflow cancellation (UI button, `temporal workflow cancel`), unless a cancel is already on record. */
  private recordWorkflowCancel(): void {
    if (this.record.status.cancel || this.record.isFinished) return;
    this.record.recordCancel({
      requestedBy: 'temporal',
      reason: 'workflow cancellation requested',
      at: new Date().toISOString(),
      via: 'workflow-cancel',
      stateAtAcceptance: this.record.state,
    });
    this.namingCanceller = CancellationScope.nonCancellable(() => this.nameWorkflowCanceller());
    this.killTrackedBatch();
  }

  /**
   * A native cancellation names no one to the workflow: the record takes the requester's identity
   * (and reason) from the run's WorkflowExecutionCancelRequested event, so status and audit name the same canceller.
   */
  private async nameWorkflowCanceller(): Promise<void> {
    const cancel = this.record.status.cancel!;
    const info = workflowInfo();
    try {
      const who = await runCalls.cancelRequester({ workflowId: info.workflowId, runId: info.runId });
      if (who.identity) cancel.requestedBy = who.identity.slice(0, CANCEL_LIMITS.requestedBy);
      if (who.reason) cancel.reason = who.reason.slice(0, CANCEL_LIMITS.reason);
    } catch (err) {
      log.warn('could not read who cancelled the run', { event: 'job.cancel-requester', jobId: info.workflowId, error: String(err) });
    }
  }

  private cancel(args: CancelArgs, via: CancelVia): CancelAnswer {
    const { state, cancel } = this.record.status;
    if (cancel && args.requestId && cancel.requestId === args.requestId) {
      // The same request again (a client retry): the answer it got the first time.
      return { accepted: true, state: (cancel.stateAtAcceptance ?? state) as JobStatus['state'], message: `cancel accepted while ${cancel.stateAtAcceptance ?? state}` };
    }
    if (this.record.isFinished) return { accepted: false, state, message: `the job already ended ${state}` };
    if (cancel) {
      return { accepted: false, state, message: `a cancel was already requested by ${cancel.requestedBy} at ${cancel.at}` };
    }
    this.record.recordCancel({
      requestedBy: args.requestedBy || 'unknown',
      reason: args.reason || 'no reason given',
      at: new Date().toISOString(),
      via,
      ...(args.requestId ? { requestId: args.requestId } : {}),
      stateAtAcceptance: state,
    });
    this.killTrackedBatch();
    this.scope.cancel();
    return { accepted: true, state, message: `cancel accepted while ${state}` };
  }

  /**
   * A cancel kills a tracked batch at once (rule 4: read, DELETE, confirm gone), while the wait
   * activity winds down: the workflow completes only after both, so no late result can arrive.
   */
  private killTrackedBatch(): void {
    const ref = this.tracked;
    if (!ref || this.cancelKill) return;
    this.cancelKill = CancellationScope.nonCancellable(() => this.kill(ref, 'the job was cancelled'));
  }

  private async runAttempts(): Promise<void> {
    let resumed = this.resume?.tracking;
    for (;;) {
      let result: AttemptResult;
      if (resumed) {
        result = await this.track(resumed.ref, resumed.knownState);
        resumed = undefined;
      } else {
        result = await this.attempt();
      }
      if ((result.kind === 'failed' || result.kind === 'queue-timeout') && result.unfenced) {
        // Never two live attempts: the one that ended without a final state is fenced before anything else.
        const fenced = await this.fence(result.unfenced, result.kind === 'failed' ? result.error.message : 'timeouts.queue expired');
        if (fenced) result = fenced;
      }
      if (result.kind === 'queue-timeout') {
        this.record.status.lastError = {
          type: 'QueueTimeout',
          class: 'fatal',
          message: `no cluster took the job within timeouts.queue (${this.spec!.timeouts.queue}s)`,
        };
        this.record.finishAttempt('TIMED_OUT', this.record.status.lastError.message);
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

  /**
   * Routes and submits attempt n+1 within timeouts.queue, then tracks it. Livy's capacity answer is
   * back-pressure, not a failure: the same attempt (same name, no batch was made) is tried again
   * after a jittered backoff until the queue timeout.
   */
  private async attempt(): Promise<AttemptResult> {
    const spec = this.spec!;
    // Numbered on from the job's earlier runs: a rerun's batch names never meet an earlier run's batches.
    const n = attemptsBefore(this.input.previousRuns) + this.record.status.attempts.length + 1;
    const batchName = attemptName(this.input.jobId, n);
    const queue = startDeadline(spec.timeouts.queue);
    let submitted!: BatchSnapshot;
    let ref!: BatchRef;
    try {
      for (let refusals = 0; ; refusals++) {
        const routed = await this.route(n, queue);
        if (routed.kind !== 'routed') return routed.result;
        const choice = routed.choice;
        ref = { cluster: choice.cluster, batchName };
        this.record.routeAttempt({
          n,
          batchName,
          cluster: choice.cluster,
          ...(choice.clusterName ? { clusterName: choice.clusterName } : {}),
          livyUrl: choice.livyUrl,
          routeReason: choice.reason,
        });
        this.record.setState('SUBMITTING');
        let raced;
        try {
          raced = await raceDeadline(queue, () => submitting.submitBatch({ jobId: this.input.jobId, cluster: choice.cluster, batchName, spec }));
        } catch (err) {
          this.throwIfCancelled(err);
          const error = jobErrorFrom(err);
          if (error.type !== ErrorType.LivyCapacity) return { kind: 'failed', error, unfenced: ref };
          // No batch was registered: Livy refuses for capacity before it creates one.
          const delay = backoffSeconds(refusals + 1, spec.retry.initialBackoff, spec.retry.maxBackoff, Math.random);
          this.record.setState('QUEUED', { nextAttemptAt: new Date(Date.now() + delay * 1000).toISOString() });
          const waited = await raceDeadline(queue, () => sleep(delay * 1000));
          if (waited.expired) return { kind: 'queue-timeout' };
          continue;
        }
        if (raced.expired) return { kind: 'queue-timeout', unfenced: ref };
        submitted = raced.value;
        this.record.currentAttempt!.adopted = raced.value.adopted;
        break;
      }
    } finally {
      queue?.clear();
    }
    this.record.recordBatch(submitted);
    this.throwIfCancelled(); // cancelled with the POST in flight: the cleanup DELETEs what it made
    return this.track({ ...ref, batchId: submitted.batchId }, submitted.state);
  }

  private async route(
    n: number,
    queue: ReturnType<typeof startDeadline>,
  ): Promise<{ kind: 'routed'; choice: ClusterChoice } | { kind: 'not-routed'; result: AttemptResult }> {
    const lost = this.record.status.lostClusters ?? [];
    try {
      const raced = await raceDeadline(queue, () => routing.routeJob({ jobId: this.input.jobId, attempt: n, route: this.spec!.route, exclude: lost }));
      if (raced.expired) return { kind: 'not-routed', result: { kind: 'queue-timeout' } };
      return { kind: 'routed', choice: raced.value };
    } catch (err) {
      this.throwIfCancelled(err);
      const error = jobErrorFrom(err);
      if (error.type === ErrorType.NoMatchingCluster && lost.length > 0) {
        // Everything the route allows has been lost: say so, not "no match".
        const message = `no healthy cluster left for the route after losing ${lost.join(', ')}`;
        return { kind: 'not-routed', result: { kind: 'failed', error: { type: ErrorType.ClusterLost, class: 'fatal', message } } };
      }
      return { kind: 'not-routed', result: { kind: 'failed', error } };
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
        this.tracked = ref;
        try {
          result = await this.waitOrKillAtDeadline(ref, state, deadline);
        } catch (err) {
          this.throwIfCancelled(err);
          const error = jobErrorFrom(err);
          // EMR says the cluster is going away, but its Livy may still answer: the batch is killed by name
          // (or found gone with the cluster) before the next attempt starts elsewhere.
          if (error.type === ErrorType.ClusterLost) return { kind: 'failed', error, unfenced: ref };
          if (error.type !== ErrorType.BatchLost) return { kind: 'failed', error, unfenced: ref };
          const found = await this.reconcile(ref);
          if (!found) return { kind: 'failed', error };
          if (found.source === 'yarn' && found.state === 'killed') {
            // Killed as Livy lost it (a Livy stop kills its apps): the cluster's doing, not the app's or a user's.
            this.record.recordBatch(found);
            return { kind: 'failed', error: { ...error, message: `${error.message}; YARN says its app was killed` } };
          }
          // Livy (under a new id) or YARN still knows our attempt: take what it says.
          ref = { ...ref, batchId: found.batchId ?? ref.batchId, source: found.source ?? 'livy' };
          this.record.recordBatch(found);
          state = found.state;
          this.reflectBatchState(state);
          continue;
        } finally {
          this.tracked = undefined;
        }
        this.throwIfCancelled();
        if (result.kind === 'killed') return this.runTimeoutOutcome(ref, result.killed);
        this.record.recordBatch(result.snapshot);
        state = result.snapshot.state;
        this.reflectBatchState(state);
      }
      const error = jobErrorForFinishedBatch(state, this.record.status.logTail);
      return error ? { kind: 'failed', error } : { kind: 'succeeded' };
    } finally {
      deadline?.clear();
    }
  }

  /** A wait that ended while the job was being cancelled ends the job's work, whatever it returned. */
  private throwIfCancelled(err?: unknown): void {
    if (err !== undefined && isCancellation(err)) throw err;
    if (this.scope.consideredCancelled) throw new CancelledFailure('the job was cancelled');
  }

  /** Rule 5: before calling a batch lost, look it up by name on Livy and by tag on YARN. */
  private async reconcile(ref: BatchRef): Promise<BatchSnapshot | undefined> {
    try {
      return await reconciling.reconcileBatch({ cluster: ref.cluster, batchName: ref.batchName });
    } catch (err) {
      this.throwIfCancelled(err);
      return undefined;
    }
  }

  /**
   * Makes sure an attempt's batch is not running before the job moves on: killed by name where its
   * Livy answers, or gone with its terminated cluster; otherwise a sweeper takes it over. A batch
   * found already succeeded is the attempt's outcome: a succeeded app is never run again.
   */
  private async fence(ref: BatchRef, why: string): Promise<AttemptResult | undefined> {
    const killed = await CancellationScope.nonCancellable(() => this.kill(ref, why));
    if (!killed) return undefined;
    if (killed.stateBefore === 'success' || killed.stateBefore === 'dead') {
      this.record.recordBatch({ batchId: ref.batchId, batchName: ref.batchName, state: killed.stateBefore, log: killed.log });
      const error = jobErrorForFinishedBatch(killed.stateBefore, this.record.status.logTail);
      return error ? { kind: 'failed', error } : { kind: 'succeeded' };
    }
    return undefined;
  }

  /** killBatch, or, when the cluster does not answer, a sweeper that kills the batch once it does. */
  private async kill(ref: BatchRef, why: string): Promise<KillResult | undefined> {
    const attempt = this.record.status.attempts.find((a) => a.batchName === ref.batchName);
    try {
      const killed = await killing.killBatch(ref);
      if (attempt) attempt.fence = KILLED_OR_GONE.has(killed.stateBefore) ? killed.stateBefore : killed.deleted ? 'killed' : `ended ${killed.stateBefore}`;
      return killed;
    } catch (err) {
      const error = jobErrorFrom(err);
      if (attempt) attempt.fence = 'sweeper';
      log.warn('attempt handed to the sweeper', { event: 'attempt.sweeper', jobId: this.input.jobId, batchName: ref.batchName, cluster: ref.cluster, error: error.message });
      try {
        await startChild(sweepBatch, {
          workflowId: `${this.input.jobId}-sweep-${ref.batchName.slice(this.input.jobId.length + 1)}`,
          args: [{ jobId: this.input.jobId, ref: { cluster: ref.cluster, batchName: ref.batchName }, reason: why }],
          parentClosePolicy: ParentClosePolicy.ABANDON,
        });
      } catch (startErr) {
        if (!(startErr instanceof WorkflowExecutionAlreadyStartedError)) throw startErr;
      }
      return undefined;
    }
  }

  /** A cluster that EMR says died under the job is never chosen again for it. Unreachable is not lost. */
  private noteLostCluster(error: JobError): void {
    const cluster = this.record.currentAttempt?.cluster;
    if (!cluster || error.type !== ErrorType.ClusterLost) return;
    const lost = (this.record.status.lostClusters ??= []);
    if (!lost.includes(cluster)) lost.push(cluster);
  }

  private runSecondsLeft(): number | undefined {
    const limit = this.spec!.timeouts.run;
    const submittedAt = this.record.currentAttempt?.submittedAt;
    if (limit === undefined || !submittedAt) return limit;
    return limit - (Date.now() - Date.parse(submittedAt)) / 1000;
  }

  /**
   * One wait for the batch's next state; if timeouts.run passes first, the batch is killed at once
   * and the wait is then wound down (it ends when the batch is gone, or when its cancellation
   * reaches it), so no activity is left running behind the workflow.
   */
  private async waitOrKillAtDeadline(
    ref: BatchRef,
    knownState: string,
    deadline: Deadline | undefined,
  ): Promise<{ kind: 'changed'; snapshot: BatchSnapshot } | { kind: 'killed'; killed: KillResult | undefined }> {
    const scope = new CancellationScope();
    const waiting = scope.run(() => tracking(this.windowSeconds).waitForBatchChange({ ...ref, knownState, windowSeconds: this.windowSeconds }));
    const winner = await Promise.race([waiting.then((snapshot) => ({ snapshot })), deadline?.fired ?? new Promise<never>(() => undefined)]);
    if (winner !== 'expired') return { kind: 'changed', snapshot: winner.snapshot };
    const killing = CancellationScope.nonCancellable(() => this.kill(ref, 'the attempt ran past timeouts.run'));
    scope.cancel();
    await waiting.catch(() => undefined);
    return { kind: 'killed', killed: await killing };
  }

  private runTimeoutOutcome(ref: BatchRef, killed: KillResult | undefined): AttemptResult {
    if (killed && isTerminalBatchState(killed.stateBefore)) {
      // The batch finished just before the deadline: its real outcome stands.
      this.record.recordBatch({ batchId: ref.batchId, batchName: ref.batchName, state: killed.stateBefore, log: killed.log });
      const error = jobErrorForFinishedBatch(killed.stateBefore, this.record.status.logTail);
      return error ? { kind: 'failed', error } : { kind: 'succeeded' };
    }
    return { kind: 'timed-out', reason: `the attempt ran past timeouts.run (${this.spec!.timeouts.run}s); the batch was killed` };
  }

  private reflectBatchState(batchState: string): void {
    if (batchState === 'starting' || batchState === 'not_started') this.record.setState('STARTING');
    else if (!isTerminalBatchState(batchState)) this.record.setState('RUNNING');
  }

  private async backOff(): Promise<void> {
    const { appFailures, infraFailures } = this.record.status.budgets;
    const delay = backoffSeconds(appFailures + infraFailures, this.spec!.retry.initialBackoff, this.spec!.retry.maxBackoff, Math.random);
    this.record.setState('RETRYING', { nextAttemptAt: new Date(Date.now() + delay * 1000).toISOString() });
    await sleep(delay * 1000);
  }

  private async continueAsNewIfDue(ref: BatchRef, knownState: string): Promise<void> {
    const info = workflowInfo();
    if (!info.continueAsNewSuggested && info.historyLength < this.historyLimit) return;
    await condition(allHandlersFinished);
    await continueAsNew<typeof sparkJob>({
      ...this.input,
      spec: this.spec!,
      fingerprint: this.record.status.fingerprint,
      resume: { status: this.record.snapshot(), tracking: { ref, knownState } },
    });
  }

  /** Runs in a non-cancellable scope: every row of the cancellation table (rule 4). */
  private async cleanUpAfterCancel(): Promise<void> {
    if (this.namingCanceller) await this.namingCanceller;
    const attempt = this.record.currentAttempt;
    const open = attempt && !attempt.outcome && attempt.cluster !== undefined;
    if (attempt && open) {
      const ref: BatchRef = { cluster: attempt.cluster!, batchId: attempt.batchId, batchName: attempt.batchName };
      const killed = await (this.cancelKill ?? this.kill(ref, 'the job was cancelled'));
      if (killed && (killed.stateBefore === 'success' || killed.stateBefore === 'dead')) {
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
      if (killed?.deleted) this.record.recordBatch({ batchId: ref.batchId, batchName: ref.batchName, state: 'killed', log: killed.log });
    }
    const cancel = this.record.status.cancel;
    this.record.finishAttempt('CANCELLED', cancel ? cancelledBy(cancel) : 'cancelled');
    this.record.setState('CANCELLED');
  }
}
