/**
 * ShaleClient: submit, watch and cancel Spark jobs. A thin layer over Temporal's client: the job
 * ID is the workflow ID, and everything the caller sees comes from the workflow.
 */
import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Client,
  Connection,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
} from '@temporalio/client';
import { CancelledFailure, defaultPayloadConverter } from '@temporalio/common';
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes';
import proto from '@temporalio/proto';
import {
  cancelSignal,
  checkCancelArgs,
  diffSpecs,
  generatedJobId,
  IDEMPOTENCY_KEY_PATTERN,
  isTerminalJobState,
  jobIdFromKey,
  parseJobSpec,
  previousRunsAfter,
  requestCancelUpdate,
  labelValues,
  SA,
  specFingerprint,
  statusQuery,
  WORKFLOW_TYPE,
  type CancelAnswer,
  type CancelArgs,
  type JobSpec,
  type JobState,
  type JobStatus,
  type RunSummary,
  type SparkJobInput,
} from '../contract';
import { auditTimeline, fetchJobHistories, type AuditEntry } from './audit';
import { cancelUpdateId, DEFAULT_CANCEL_TIMEOUT_MS, isTransientError, NO_WORKER_UPDATE_TRY_MS, POLLER_SEEN_WITHIN_MS, retryDelayMs } from './cancelRequest';
import { CancelNotConfirmedError, IdempotencyConflictError, InvalidCancelError, InvalidSpecError, JobNotFoundError, RerunNotAllowedError } from './errors';
import { statusFromMemo, statusFromWorkflowError } from './jobOutcome';
import { buildListQuery, type ListFilter } from './listQuery';
import { connectionOptions, DEFAULT_TEMPORAL_NAMESPACE, loadTemporalConnection, TemporalUnavailableError, type TemporalConnectionOverrides } from './connectionConfig';

/** Connection settings (client/connectionConfig.ts: flags beat SHALE_TEMPORAL_*, TEMPORAL_* and profiles) and who acts. */
export interface ShaleClientOptions extends TemporalConnectionOverrides {
  taskQueue?: string;
  /** Who is acting (recorded on submit and cancel); defaults to user@host. */
  identity?: string;
  connection?: Connection;
}

export interface SubmitOptions {
  /** The same key (per team) always names the same job: a repeated submit returns it. */
  idempotencyKey?: string;
  requestedBy?: string;
}

export interface Submitted {
  jobId: string;
  /**
   * True when this call started a run: a new job, or a new run of a job ID whose latest run ended
   * FAILED, CANCELLED or TIMED_OUT. False when it returned the job as it is (running, or SUCCEEDED).
   */
  created: boolean;
  /** True when the run this call started is a rerun of an existing job ID (`created` is then true too). */
  rerun: boolean;
  spec: JobSpec;
  /** The run the answer is about: the one started, or the existing one returned. */
  runId: string;
}

interface RerunPlan {
  previousRuns: RunSummary[];
  reusePolicy: 'ALLOW_DUPLICATE' | 'ALLOW_DUPLICATE_FAILED_ONLY';
}

export interface JobSummary {
  jobId: string;
  name?: string;
  team?: string;
  state?: string;
  /** The current (or last) attempt's cluster id, and its EMR name when it has one. */
  cluster?: string;
  clusterName?: string;
  attempt?: number;
  requestedBy?: string;
  startedAt?: string;
  closedAt?: string;
}

export interface CancelOptions {
  reason?: string;
  requestedBy?: string;
  /**
   * The caller's id for this cancel request: a retry with the same id is the same request and gets
   * the first answer (an HTTP request id, an Airflow task try). Default: a new UUID per call.
   */
  requestId?: string;
  /** How long to keep trying through transient errors; default 30 s. */
  timeoutMs?: number;
}

/** The answer, and the request id to retry with if the caller is unsure it arrived. */
export interface CancelResult extends CancelAnswer {
  requestId: string;
}

export interface WaitOptions {
  /** Called with each status that differs from the last one seen. */
  onProgress?: (status: JobStatus) => void;
  /** How often the status is queried for progress (default 1 s); the job's end is seen at once regardless. */
  pollIntervalMs?: number;
  /** Stops the wait: the answer is then the status as it is. */
  signal?: AbortSignal;
  /** Stops the wait after this long: the answer is then the current status, which may not be final. */
  timeoutMs?: number;
}

/** How long a run whose job has ended may take to close (a cancelled job's run asks Temporal to close it Canceled). */
const CLOSING_GRACE_MS = 35_000;

/** A running run whose job has already ended (its ShaleState is final): it is closing. */
function isClosing(run: WorkflowExecutionDescription): boolean {
  const state = run.typedSearchAttributes.get(SA.state) as JobState | undefined;
  return state !== undefined && isTerminalJobState(state);
}

/** Between re-opened result polls after a transient error: 200 ms doubling to 5 s, jittered. */
function waitRetryDelayMs(attempt: number): number {
  return Math.round((0.5 + Math.random() / 2) * Math.min(5_000, 200 * 2 ** attempt));
}

/** How long `audit` waits for a running job's status query before making do with the history. */
const AUDIT_QUERY_TIMEOUT_MS = 5_000;

export function defaultIdentity(): string {
  try {
    return `${userInfo().username}@${hostname()}`;
  } catch {
    return `unknown@${hostname()}`;
  }
}

export class ShaleClient {
  readonly taskQueue: string;
  readonly identity: string;

  /** The Temporal connection, for operator calls (e.g. registering search attributes). */
  readonly connection?: Connection;

  constructor(
    readonly temporal: Client,
    options: { taskQueue?: string; identity?: string; connection?: Connection } = {},
    private readonly ownedConnection?: Connection,
  ) {
    this.taskQueue = options.taskQueue ?? 'shale';
    this.identity = options.identity ?? defaultIdentity();
    this.connection = options.connection;
  }

  /**
   * Connects as Temporal's own tools would (TEMPORAL_ADDRESS, profiles, TLS, API key; see
   * client/connectionConfig.ts), options first. An unreachable server is a TemporalUnavailableError
   * naming the address tried and where it came from.
   */
  static async connect(options: ShaleClientOptions = {}): Promise<ShaleClient> {
    let connection = options.connection;
    let namespace = options.namespace ?? DEFAULT_TEMPORAL_NAMESPACE;
    if (!connection) {
      const settings = loadTemporalConnection(options);
      namespace = settings.namespace;
      try {
        connection = await Connection.connect(connectionOptions(settings));
      } catch (err) {
        throw new TemporalUnavailableError(settings.address, settings.addressFrom, err);
      }
    }
    const identity = options.identity ?? defaultIdentity();
    const temporal = new Client({ connection, namespace, identity });
    return new ShaleClient(temporal, { taskQueue: options.taskQueue, identity, connection }, options.connection ? undefined : connection);
  }

  async close(): Promise<void> {
    await this.ownedConnection?.close();
  }

  /**
   * Validates, then starts the job or attaches to the one its idempotency key already names. With
   * the same key: a running or SUCCEEDED job is returned as it is (`created: false`); a job whose
   * latest run ended FAILED, CANCELLED or TIMED_OUT is run again under the same job ID, as a new run
   * that knows its earlier runs (`created: true, rerun: true`). The same key with another spec is an
   * IdempotencyConflictError naming what differs from the latest run's spec.
   */
  async submit(specInput: unknown, options: SubmitOptions = {}): Promise<Submitted> {
    const parsed = parseJobSpec(specInput);
    if (!parsed.ok) throw new InvalidSpecError(parsed.errors);
    const key = options.idempotencyKey;
    if (key !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(key)) {
      throw new InvalidSpecError([{ field: 'idempotencyKey', message: '1-256 printable ASCII characters, no spaces' }]);
    }
    const spec: JobSpec = { ...parsed.spec, requestedBy: parsed.spec.requestedBy ?? options.requestedBy ?? this.identity };
    const jobId = key ? jobIdFromKey(spec.team, key) : generatedJobId(spec.team, Date.now(), Math.random);
    const fingerprint = specFingerprint(spec);
    for (let tries = 0; ; tries++) {
      const latest = key ? await this.closedOrRunning(jobId) : undefined;
      if (latest) {
        const memo = (latest.memo ?? {}) as { fingerprint?: string };
        if (memo.fingerprint !== fingerprint) {
          const existing = await this.originalSpec(jobId, latest.runId);
          throw new IdempotencyConflictError(jobId, existing ? diffSpecs(existing, spec) : ['(unknown: the job predates fingerprints)']);
        }
      }
      const rerun = latest ? await this.rerunPlan(latest) : undefined;
      if (latest && !rerun) return { jobId, created: false, rerun: false, spec, runId: latest.runId };
      const started = await this.startRun(jobId, spec, fingerprint, rerun);
      // Another submit got in between (its run ended SUCCEEDED before ours could start): look again.
      if (started === 'rejected' && tries < 3) continue;
      if (started === 'rejected') throw new Error(`job ${jobId}: could not start or attach to its run (it kept changing); try again`);
      return { jobId, created: started.created, rerun: started.created && !!latest, spec, runId: started.runId };
    }
  }

  /**
   * Runs a job again under the same job ID, as a new run with the latest run's spec, when its latest
   * run ended FAILED, CANCELLED or TIMED_OUT (RerunNotAllowedError while it runs or after SUCCEEDED).
   * The new run knows its earlier runs (status `run`, `previousRuns`). Answers like `submit`; a rerun
   * that raced another one attaches to the run that won (`created: false`).
   */
  async rerun(jobId: string, options: { requestedBy?: string } = {}): Promise<Submitted> {
    await this.describe(jobId); // JobNotFoundError
    const latest = (await this.closedOrRunning(jobId))!;
    const plan = await this.rerunPlan(latest);
    if (!plan) {
      const state = latest.status.name === 'RUNNING' ? ((latest.typedSearchAttributes.get(SA.state) as string | undefined) ?? 'QUEUED') : 'SUCCEEDED';
      throw new RerunNotAllowedError(jobId, state);
    }
    const original = await this.originalSpec(jobId, latest.runId);
    if (!original) throw new Error(`job ${jobId}: its latest run's spec cannot be read, so it cannot be rerun`);
    const spec: JobSpec = { ...original, requestedBy: options.requestedBy ?? this.identity };
    const started = await this.startRun(jobId, spec, specFingerprint(spec), plan);
    if (started === 'rejected') {
      const now = await this.describe(jobId);
      return { jobId, created: false, rerun: false, spec, runId: now.runId };
    }
    return { jobId, created: started.created, rerun: started.created, spec, runId: started.runId };
  }

  /**
   * The job's latest run, once it is either running or closed: a run whose job has ended (its
   * ShaleState is final) but which is still closing (a cancelled job's run asks Temporal to close it
   * Canceled) is waited for, briefly, so that a resubmit right after the end sees the end.
   */
  private async closedOrRunning(jobId: string): Promise<WorkflowExecutionDescription | undefined> {
    const latest = await this.describeIfExists(jobId);
    if (!latest || latest.status.name !== 'RUNNING' || !isClosing(latest)) return latest;
    const run = this.temporal.workflow.getHandle(jobId, latest.runId, { followRuns: false });
    await this.temporal.withDeadline(Date.now() + CLOSING_GRACE_MS, () => run.result()).catch(() => undefined);
    return this.describeIfExists(jobId);
  }

  /**
   * How to run a job again if its latest run ended without succeeding: the earlier runs the new run
   * is handed, and the reuse policy that lets Temporal start it (undefined: running or SUCCEEDED).
   */
  private async rerunPlan(latest: WorkflowExecutionDescription): Promise<RerunPlan | undefined> {
    if (latest.status.name === 'RUNNING') return undefined;
    const ended = await this.finalStatus(this.handle(latest.workflowId), latest);
    if (ended.state === 'SUCCEEDED') return undefined;
    // Jobs of release 0.2.0 and before completed the workflow whatever their end: Temporal only
    // starts a new run after a completed one with ALLOW_DUPLICATE.
    const reusePolicy = latest.status.name === 'COMPLETED' ? 'ALLOW_DUPLICATE' : 'ALLOW_DUPLICATE_FAILED_ONLY';
    return { previousRuns: previousRunsAfter(ended, latest.runId), reusePolicy };
  }

  /**
   * Starts a run of the job (a new one, or a rerun), or attaches to the run that is already going
   * (USE_EXISTING: concurrent submits with the same key make exactly one run). `created` says whether
   * this call's start made the run; 'rejected' when the reuse policy refused (the job's latest run
   * ended SUCCEEDED meanwhile).
   */
  private async startRun(jobId: string, spec: JobSpec, fingerprint: string, rerun: RerunPlan | undefined): Promise<{ created: boolean; runId: string } | 'rejected'> {
    const submissionId = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
    const input: SparkJobInput = { jobId, spec, fingerprint, ...(rerun ? { previousRuns: rerun.previousRuns } : {}) };
    let runId: string;
    try {
      const handle = await this.temporal.workflow.start(WORKFLOW_TYPE, {
        workflowId: jobId,
        taskQueue: this.taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: rerun?.reusePolicy ?? 'ALLOW_DUPLICATE_FAILED_ONLY',
        memo: { fingerprint, submissionId, summary: specSummary(spec) },
        typedSearchAttributes: [
          { key: SA.state, value: 'QUEUED' },
          { key: SA.team, value: spec.team },
          { key: SA.kind, value: spec.kind },
          { key: SA.jobName, value: spec.name },
          { key: SA.requestedBy, value: spec.requestedBy! },
          ...(Object.keys(spec.labels).length ? [{ key: SA.labels, value: labelValues(spec.labels) }] : []),
        ],
        staticSummary: `${spec.team}/${spec.name}: ${specSummary(spec)}`,
      });
      runId = handle.firstExecutionRunId;
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return 'rejected';
      throw err;
    }
    const memo = ((await this.temporal.workflow.getHandle(jobId, runId).describe()).memo ?? {}) as { fingerprint?: string; submissionId?: string };
    if (memo.submissionId !== submissionId && memo.fingerprint !== fingerprint) {
      // A concurrent submit with the same key but another spec started the run first.
      const existing = await this.originalSpec(jobId, runId);
      throw new IdempotencyConflictError(jobId, existing ? diffSpecs(existing, spec) : ['(unknown: the job predates fingerprints)']);
    }
    return { created: memo.submissionId === submissionId, runId };
  }

  /** The job's status: from the running workflow, or its result once it has ended. */
  async status(jobId: string): Promise<JobStatus> {
    const description = await this.describe(jobId);
    if (description.status.name === 'RUNNING') return this.runningStatus(description);
    return this.finalStatus(this.handle(jobId), description);
  }

  /** A running run's status: its status query, or, with no worker to answer it, what the server holds and why. */
  private async runningStatus(description: WorkflowExecutionDescription): Promise<JobStatus> {
    const stateNow = (description.typedSearchAttributes.get(SA.state) as JobState) ?? 'QUEUED';
    // With no worker polling, a query would only hang: say so instead of showing a QUEUED that nobody picks up.
    if (!(await this.hasLiveWorker(description))) {
      return { ...(await this.statusFromDescription(description, stateNow)), note: `${noWorkerPolls(description)}: the job waits until one does` };
    }
    try {
      return await this.temporal.workflow.getHandle(description.workflowId, description.runId).query(statusQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new JobNotFoundError(description.workflowId);
      if (isTransientError(err)) throw err;
      // The worker did not answer (it is busy, or just went away): report what the server knows.
      const reason = err instanceof Error ? err.message : String(err);
      return { ...(await this.statusFromDescription(description, stateNow)), note: `the status query failed (${reason}); this status is what the server holds` };
    }
  }

  /**
   * Waits for the job to end, reporting each change of its status. One long poll for the job's
   * result is held for the whole wait (re-opened only after an error), and progress comes from
   * status queries every `pollIntervalMs`. Transient connection errors (a Temporal restart) are
   * retried with backoff until the job ends, `timeoutMs` passes or `signal` aborts; with `timeoutMs`
   * or `signal`, the answer is then the job's current status, which may not be final.
   */
  async wait(jobId: string, options: WaitOptions = {}): Promise<JobStatus> {
    await this.describe(jobId); // throws JobNotFoundError early
    const interval = options.pollIntervalMs ?? 1000;
    const deadline = options.timeoutMs !== undefined ? Date.now() + Math.max(0, options.timeoutMs) : undefined;
    const stop = new AbortController();
    const stopped = new Promise<'stopped'>((resolve) => stop.signal.addEventListener('abort', () => resolve('stopped'), { once: true }));
    const onCallerAbort = () => stop.abort();
    options.signal?.addEventListener('abort', onCallerAbort, { once: true });
    if (options.signal?.aborted) stop.abort();
    const timer = deadline !== undefined ? setTimeout(() => stop.abort(), deadline - Date.now()) : undefined;
    let last = '';
    let current: JobStatus | undefined;
    const report = (status: JobStatus) => {
      current = status;
      const fingerprint = JSON.stringify({ ...status, updatedAt: undefined });
      if (fingerprint === last) return;
      last = fingerprint;
      options.onProgress?.(status);
    };
    const outcome = this.resultOutcome(jobId, stop.signal).then(
      (status) => ({ status }),
      (err: unknown) => {
        // The poll was cut short because the wait is over: not an error.
        if (stop.signal.aborted) return 'stopped' as const;
        throw err;
      },
    );
    outcome.catch(() => undefined);
    try {
      for (;;) {
        if (!stop.signal.aborted) {
          try {
            // Progress from the running run only: a closed run's final status is the held poll's answer.
            const run = await this.describe(jobId);
            const status = run.status.name === 'RUNNING' ? await this.runningStatus(run) : undefined;
            if (status) report(status);
            if (status && isTerminalJobState(status.state)) {
              // The job has ended; its run may still be closing (moments): answer once it has, so a resubmit sees the end.
              const closed = await Promise.race([outcome, sleep(CLOSING_GRACE_MS).then(() => 'tick' as const), stopped]);
              if (typeof closed === 'object') report(closed.status);
              return current ?? status;
            }
          } catch (err) {
            if (!isTransientError(err)) throw err;
          }
        }
        const next = await Promise.race([outcome, sleep(interval).then(() => 'tick' as const), stopped]);
        if (next === 'tick') continue;
        if (next === 'stopped') {
          // Time is up (or the caller gave up): the status as it is now, final or not.
          if (current) return current;
          return await this.status(jobId);
        }
        report(next.status);
        return next.status;
      }
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onCallerAbort);
      stop.abort();
    }
  }

  /**
   * The job's final status from one long poll on its result (following continue-as-new), re-opened
   * with backoff only after a transient error, until `signal` aborts it.
   */
  private async resultOutcome(jobId: string, signal: AbortSignal): Promise<JobStatus> {
    const handle = this.handle(jobId);
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await this.temporal.withAbortSignal(signal, () => handle.result());
        return result as JobStatus;
      } catch (err) {
        if (signal.aborted) throw err;
        const status = statusFromWorkflowError(err);
        if (status) return status;
        if (err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure) return this.status(jobId);
        if (!isTransientError(err)) {
          // A run that ended without a status (terminated, an invalid spec): the status built for it.
          if (err instanceof WorkflowFailedError) return this.status(jobId);
          throw err;
        }
        await sleep(waitRetryDelayMs(attempt), undefined, { signal }).catch(() => undefined);
        if (signal.aborted) throw err;
      }
    }
  }

  /**
   * Asks the job to stop. A finished job is left as it is, and the answer says how it ended.
   *
   * Idempotent end to end: the request carries an id (`requestId`, generated if not given) that
   * names its Update, so sending the same request again, after a crash, a timeout or a lost answer,
   * gets the first answer back rather than making a second request. Transient errors are retried
   * until `timeoutMs`; a run that ended meanwhile is answered from the job's final status, as
   * accepted if its record shows this request was the accepted cancel. With no worker polling the
   * job's task queue (and no answer to a short Update try), the cancel is left as a signal (durable;
   * carried out when a worker runs the job) and the answer says so within seconds rather than
   * waiting for a worker that is not there.
   */
  async cancel(jobId: string, options: CancelOptions = {}): Promise<CancelResult> {
    const requestId = options.requestId ?? randomUUID();
    const checked = checkCancelArgs({ reason: options.reason, requestedBy: options.requestedBy ?? this.identity, requestId });
    if (!checked.ok) throw new InvalidCancelError(checked.error);
    const args = checked.value;
    const updateId = cancelUpdateId(requestId);
    const timeoutMs = options.timeoutMs ?? DEFAULT_CANCEL_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return { ...(await this.cancelOnce(jobId, args, updateId, deadline)), requestId };
      } catch (err) {
        if (!isTransientError(err)) throw err;
        const delay = retryDelayMs(attempt);
        if (Date.now() + delay >= deadline) {
          throw new CancelNotConfirmedError(jobId, requestId, timeoutMs, err);
        }
        await sleep(delay);
      }
    }
  }

  /** One pass: look at the job's current run, then send the Update to exactly that run. */
  private async cancelOnce(jobId: string, args: CancelArgs, updateId: string, deadline: number): Promise<CancelAnswer> {
    for (;;) {
      const run = await this.describe(jobId);
      if (run.status.name !== 'RUNNING') return this.answerFromEnd(run, args.requestId!, updateId);
      // With no worker seen polling, the Update gets a short try only (the poller list can lag a
      // worker that just started), then the cancel is left as a signal.
      const workerSeen = await this.hasLiveWorker(run);
      const callDeadline = workerSeen ? deadline : Math.min(deadline, Date.now() + NO_WORKER_UPDATE_TRY_MS);
      try {
        // Pinned to the run just described: a cancel is for the run the caller saw, never for a later
        // run of the same job ID (a job re-run by its idempotency key).
        return await this.temporal.withDeadline(callDeadline, () =>
          this.temporal.workflow.getHandle(jobId, run.runId).executeUpdate(requestCancelUpdate, { args: [args], updateId }),
        );
      } catch (err) {
        if (!workerSeen && isTransientError(err)) return this.cancelWithoutWorker(run, args);
        // "workflow execution already completed" (NotFound), or an Update that the run's end overtook
        // (WorkflowUpdateFailedError): look again. If the same run is still running, the workflow
        // itself refused the request, and that is the answer to report.
        if (!(err instanceof WorkflowNotFoundError || err instanceof WorkflowUpdateFailedError)) throw err;
        const now = await this.describe(jobId);
        if (now.runId === run.runId && now.status.name === 'RUNNING') throw err;
        if (Date.now() >= deadline) throw err;
      }
    }
  }

  /**
   * The answer for a run that has ended: accepted when its own record says this request was the
   * accepted cancel (the status's cancel request id, or the Update's completion in its history),
   * else how it ended.
   */
  private async answerFromEnd(run: WorkflowExecutionDescription, requestId: string, updateId: string): Promise<CancelAnswer> {
    const handle = this.handle(run.workflowId);
    const status = await this.finalStatus(handle, run);
    const cancel = status.cancel;
    if (cancel?.requestId === requestId) {
      const state = (cancel.stateAtAcceptance ?? status.state) as JobState;
      return { accepted: true, state, message: `cancel accepted while ${state}` };
    }
    const recorded = await this.recordedUpdateAnswer(run, updateId);
    if (recorded) return recorded;
    return { accepted: false, state: status.state, message: `the job already ended ${status.state}; nothing to cancel` };
  }

  /** The answer a run's history holds for this Update ID, if the run completed it successfully. */
  private async recordedUpdateAnswer(run: WorkflowExecutionDescription, updateId: string): Promise<CancelAnswer | undefined> {
    const history = await this.temporal.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    for (const event of history.events ?? []) {
      const completed = event.workflowExecutionUpdateCompletedEventAttributes;
      if (completed?.meta?.updateId !== updateId) continue;
      const payload = completed.outcome?.success?.payloads?.[0];
      return payload ? defaultPayloadConverter.fromPayload<CancelAnswer>(payload) : undefined;
    }
    return undefined;
  }

  /**
   * Whether a worker that can run this run has polled its task queue recently: any worker, or for a
   * run pinned to a build (Worker Versioning), a worker of that build. If the question cannot be
   * asked (e.g. no permission), the answer is yes and the Update is tried as usual.
   */
  private async hasLiveWorker(run: WorkflowExecutionDescription): Promise<boolean> {
    let pollers: proto.temporal.api.taskqueue.v1.IPollerInfo[];
    try {
      const response = await this.temporal.workflowService.describeTaskQueue({
        namespace: this.temporal.options.namespace,
        taskQueue: { name: run.taskQueue, kind: proto.temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      });
      pollers = response.pollers ?? [];
    } catch {
      return true;
    }
    const buildId = pinnedBuildId(run);
    const now = Date.now();
    return pollers.some((p) => {
      if (buildId && (p.deploymentOptions?.buildId ?? p.workerVersionCapabilities?.buildId) !== buildId) return false;
      // Seconds come as a protobuf Long (or a number); its string form converts either.
      const seen = p.lastAccessTime?.seconds != null ? Number(String(p.lastAccessTime.seconds)) * 1000 : undefined;
      return seen === undefined || now - seen < POLLER_SEEN_WITHIN_MS;
    });
  }

  /**
   * No worker to run an Update: the cancel goes in as a signal, which Temporal keeps in the job's
   * history until a worker runs it (the workflow dedups it by request id like the Update).
   */
  private async cancelWithoutWorker(run: WorkflowExecutionDescription, args: CancelArgs): Promise<CancelAnswer> {
    await this.temporal.workflow.getHandle(run.workflowId, run.runId).signal(cancelSignal, args);
    const state = (run.typedSearchAttributes.get(SA.state) as JobState | undefined) ?? 'QUEUED';
    return {
      accepted: false,
      state,
      message: `${noWorkerPolls(run)}: the cancel was sent as a signal and will be carried out when a worker runs the job (shale status shows it then)`,
    };
  }

  /**
   * The job's timeline from its workflow history (every run of a continue-as-new chain): who
   * submitted it, each state change, each attempt's cluster, batch and outcome, retries, cancel
   * requests (who, why, how) and the end. A running job's status fills in what the history cannot say yet.
   */
  async audit(jobId: string): Promise<AuditEntry[]> {
    const description = await this.describe(jobId);
    const runs = await fetchJobHistories(this.temporal, jobId);
    let liveStatus: JobStatus | undefined;
    if (description.status.name === 'RUNNING') {
      // Best effort, briefly: with no worker up the history alone still makes the timeline.
      liveStatus = await this.temporal
        .withDeadline(Date.now() + AUDIT_QUERY_TIMEOUT_MS, () => this.handle(jobId).query(statusQuery))
        .catch(() => undefined);
    }
    return auditTimeline(runs, { liveStatus });
  }

  async list(filter: ListFilter = {}): Promise<JobSummary[]> {
    const out: JobSummary[] = [];
    const limit = filter.limit ?? 50;
    for await (const wf of this.temporal.workflow.list({ query: buildListQuery(filter), pageSize: Math.min(limit, 1000) })) {
      const sa = wf.typedSearchAttributes;
      out.push({
        jobId: wf.workflowId,
        name: sa.get(SA.jobName),
        team: sa.get(SA.team),
        state: sa.get(SA.state),
        cluster: sa.get(SA.cluster),
        clusterName: sa.get(SA.clusterName),
        attempt: sa.get(SA.attempt),
        requestedBy: sa.get(SA.requestedBy),
        startedAt: wf.startTime.toISOString(),
        closedAt: wf.closeTime?.toISOString(),
      });
      if (out.length >= limit) break;
    }
    return out;
  }

  /**
   * One page of `list` and the token of the next one (absent on the last page), for callers that
   * page through results across requests (the HTTP API). `teams` restricts the page to those teams.
   */
  async listPage(
    filter: ListFilter & { teams?: string[] },
    page: { pageSize: number; pageToken?: string },
  ): Promise<{ jobs: JobSummary[]; nextPageToken?: string }> {
    const teams = filter.teams ?? [];
    for (const team of teams) if (!/^[a-z][a-z0-9-]{1,39}$/.test(team)) throw new Error(`team ${team}: not a team name`);
    const query = buildListQuery(filter) + (teams.length ? ` AND ShaleTeam IN (${teams.map((t) => `'${t}'`).join(', ')})` : '');
    const response = await this.temporal.workflowService.listWorkflowExecutions({
      namespace: this.temporal.options.namespace,
      query,
      pageSize: page.pageSize,
      nextPageToken: page.pageToken ? Buffer.from(page.pageToken, 'base64url') : undefined,
    });
    const jobs = (response.executions ?? []).map((wf): JobSummary => {
      const sa = decodeTypedSearchAttributes(wf.searchAttributes?.indexedFields);
      return {
        jobId: wf.execution?.workflowId ?? '',
        name: sa.get(SA.jobName),
        team: sa.get(SA.team),
        state: sa.get(SA.state),
        cluster: sa.get(SA.cluster),
        attempt: sa.get(SA.attempt),
        requestedBy: sa.get(SA.requestedBy),
        startedAt: wf.startTime ? timestampToDate(wf.startTime).toISOString() : undefined,
        closedAt: wf.closeTime ? timestampToDate(wf.closeTime).toISOString() : undefined,
      };
    });
    const token = response.nextPageToken?.length ? Buffer.from(response.nextPageToken).toString('base64url') : undefined;
    return { jobs, ...(token ? { nextPageToken: token } : {}) };
  }

  private handle(jobId: string): WorkflowHandle {
    return this.temporal.workflow.getHandle(jobId);
  }

  private async describeIfExists(jobId: string): Promise<WorkflowExecutionDescription | undefined> {
    try {
      return await this.handle(jobId).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  }

  private async describe(jobId: string): Promise<WorkflowExecutionDescription> {
    try {
      return await this.handle(jobId).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new JobNotFoundError(jobId);
      throw err;
    }
  }

  /**
   * The final status of a run that has ended, whichever way (see client/jobOutcome.ts): its result,
   * the status in its failure's details, or a Canceled run's memo. A run that ended without one
   * (terminated, or failed before it had a status) gets a status built from what the server holds.
   */
  private async finalStatus(handle: WorkflowHandle, description: WorkflowExecutionDescription): Promise<JobStatus> {
    const run = this.temporal.workflow.getHandle(handle.workflowId, description.runId, { followRuns: false });
    if (description.status.name === 'COMPLETED') return (await run.result()) as JobStatus;
    const fromMemo = statusFromMemo(description.memo as Record<string, unknown> | undefined);
    if (fromMemo) return fromMemo;
    if (description.status.name === 'FAILED' || description.status.name === 'CANCELLED') {
      const status = await run.result().then(
        () => undefined,
        (err: unknown) => statusFromWorkflowError(err),
      );
      if (status) return status;
    }
    // Terminated, timed out or failed at the Temporal level: the workflow never wrote a status.
    const state: JobState = description.status.name === 'TIMED_OUT' ? 'TIMED_OUT' : description.status.name === 'CANCELLED' ? 'CANCELLED' : 'FAILED';
    return {
      ...(await this.statusFromDescription(description, state)),
      lastError: { type: `Workflow${description.status.name}`, class: 'fatal', message: `the workflow ended ${description.status.name}` },
    };
  }

  /** A status built from what the server holds (search attributes, memo, first event), without a worker. */
  private async statusFromDescription(description: WorkflowExecutionDescription, state: JobState): Promise<JobStatus> {
    const spec = await this.originalSpec(description.workflowId);
    const sa = description.typedSearchAttributes;
    return {
      jobId: description.workflowId,
      name: spec?.name ?? sa.get(SA.jobName) ?? '',
      team: spec?.team ?? sa.get(SA.team) ?? '',
      kind: spec?.kind ?? 'pyspark',
      state,
      labels: spec?.labels ?? {},
      fingerprint: String((description.memo as { fingerprint?: string } | undefined)?.fingerprint ?? ''),
      createdAt: description.startTime.toISOString(),
      updatedAt: (description.closeTime ?? description.startTime).toISOString(),
      finishedAt: description.closeTime?.toISOString(),
      requestedBy: spec?.requestedBy ?? sa.get(SA.requestedBy),
      attempts: [],
      budgets: { appFailures: 0, appRetries: spec?.retry.app ?? 0, infraFailures: 0, infraRetries: spec?.retry.infra ?? 0 },
      logTail: [],
    };
  }

  /** The spec the job's run (default: its latest) was started with, read from the first event of its history. */
  private async originalSpec(jobId: string, runId?: string): Promise<JobSpec | undefined> {
    const history = await this.temporal.workflow.getHandle(jobId, runId).fetchHistory();
    const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    if (!payload) return undefined;
    const input = defaultPayloadConverter.fromPayload<SparkJobInput>(payload);
    const parsed = parseJobSpec(input.spec);
    return parsed.ok ? parsed.spec : undefined;
  }
}

/** "no worker polls task queue …": what status and cancel say when no worker (of the run's pinned build) is there. */
function noWorkerPolls(run: WorkflowExecutionDescription): string {
  const buildId = pinnedBuildId(run);
  return `no worker${buildId ? ` of build ${buildId} (the job is pinned to it)` : ''} polls task queue "${run.taskQueue}"`;
}

/** The build a run must be run by when it is pinned (Worker Versioning), else undefined. */
export function pinnedBuildId(run: Pick<WorkflowExecutionDescription, 'raw'>): string | undefined {
  const info = run.raw.workflowExecutionInfo?.versioningInfo;
  if (!info) return undefined;
  const override = info.versioningOverride?.pinned?.version?.buildId;
  if (override) return override;
  const pinned = info.behavior === proto.temporal.api.enums.v1.VersioningBehavior.VERSIONING_BEHAVIOR_PINNED;
  return pinned ? (info.deploymentVersion?.buildId ?? undefined) : undefined;
}

/** A protobuf Timestamp (seconds may be a Long) as a Date. */
function timestampToDate(ts: { seconds?: unknown; nanos?: number | null }): Date {
  return new Date(Number(String(ts.seconds ?? 0)) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6));
}

export function specSummary(spec: JobSpec): string {
  const what = spec.kind === 'sql' ? `sql (${spec.sql.length} chars)` : `${spec.kind} ${spec.file}`;
  return `${what}, size ${spec.size}`;
}
