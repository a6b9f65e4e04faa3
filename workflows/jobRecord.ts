/**
 * The job's status as the workflow keeps it: every change goes through here, so the status query,
 * the search attributes and the audit log never disagree.
 */
import { log, setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { isTerminalJobState } from '../contract/states';
import { labelValues, SA } from '../contract/searchAttributes';
import type {
  AttemptRecord,
  BatchSnapshot,
  CancelRequest,
  JobError,
  JobSpec,
  JobState,
  JobStatus,
  RunSummary,
} from '../contract';
import { jobMetrics } from './jobMetrics';

const LOG_TAIL_LINES = 50;

function now(): string {
  return new Date().toISOString();
}

export function newStatus(jobId: string, spec: JobSpec, fingerprint: string): JobStatus {
  const at = now();
  return {
    jobId,
    name: spec.name,
    team: spec.team,
    kind: spec.kind,
    state: 'QUEUED',
    requestedBy: spec.requestedBy,
    labels: spec.labels,
    fingerprint,
    createdAt: at,
    updatedAt: at,
    attempts: [],
    budgets: { appFailures: 0, appRetries: spec.retry.app, infraFailures: 0, infraRetries: spec.retry.infra },
    logTail: [],
  };
}

/**
 * The status a job shows before its spec is validated (the first activity): enough for a status
 * query or a cancel to work on, read defensively from whatever the workflow was started with.
 */
export function provisionalStatus(jobId: string, rawSpec: unknown): JobStatus {
  const raw = (typeof rawSpec === 'object' && rawSpec !== null ? rawSpec : {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v.slice(0, 200) : '');
  const at = now();
  return {
    jobId,
    name: text(raw.name),
    team: text(raw.team),
    kind: (['pyspark', 'jar', 'sql'].includes(raw.kind as string) ? raw.kind : 'pyspark') as JobStatus['kind'],
    state: 'QUEUED',
    labels: {},
    fingerprint: '',
    createdAt: at,
    updatedAt: at,
    attempts: [],
    budgets: { appFailures: 0, appRetries: 0, infraFailures: 0, infraRetries: 0 },
    logTail: [],
  };
}

export class JobRecord {
  constructor(readonly status: JobStatus) {}

  /** Takes the validated spec's status, keeping a cancel that arrived while validation ran. */
  adopt(validated: JobStatus): void {
    const { cancel, createdAt, run, previousRuns } = this.status;
    Object.assign(this.status, validated, { cancel, createdAt, run, ...(previousRuns ? { previousRuns } : {}) });
  }

  /** Which run of the job ID this is, after the earlier runs a rerun was handed (none for a first run). */
  setRuns(previousRuns: RunSummary[]): void {
    this.status.run = (previousRuns.at(-1)?.run ?? 0) + 1;
    if (previousRuns.length) this.status.previousRuns = previousRuns;
  }

  /** A copy, so callers (queries, the result) never hold the live object. */
  snapshot(): JobStatus {
    return JSON.parse(JSON.stringify(this.status)) as JobStatus;
  }

  get state(): JobState {
    return this.status.state;
  }

  get isFinished(): boolean {
    return isTerminalJobState(this.status.state);
  }

  get currentAttempt(): AttemptRecord | undefined {
    return this.status.attempts.at(-1);
  }

  /** Publishes the initial search attributes (also after continue-as-new, which keeps them). */
  announce(): void {
    this.publish();
    this.audit('job.accepted', { name: this.status.name, kind: this.status.kind });
    jobMetrics.submitted(this.status.team);
  }

  setState(state: JobState, fields: Partial<Pick<JobStatus, 'nextAttemptAt' | 'finishedAt'>> = {}): void {
    const changed = state !== this.status.state;
    this.status.state = state;
    this.status.nextAttemptAt = fields.nextAttemptAt;
    if (isTerminalJobState(state)) this.status.finishedAt = fields.finishedAt ?? now();
    this.touch();
    if (changed) {
      this.publish();
      this.audit('job.state', { state });
      if (isTerminalJobState(state)) {
        jobMetrics.finished(this.status.team, state, (Date.parse(this.status.finishedAt!) - Date.parse(this.status.createdAt)) / 1000);
      }
    }
  }

  /**
   * Attempt n was routed to a cluster: a new attempt, or the same one routed again after Livy
   * answered for capacity (no batch was made, so the name stays the attempt's).
   */
  routeAttempt(routed: Pick<AttemptRecord, 'n' | 'batchName' | 'cluster' | 'clusterName' | 'livyUrl' | 'routeReason'>): void {
    const current = this.currentAttempt;
    if (current?.n === routed.n && !current.outcome) Object.assign(current, routed, { submittedAt: now() });
    else this.status.attempts.push({ ...routed, submittedAt: now() });
    this.touch();
    this.audit('attempt.routed', { attempt: routed.n, cluster: routed.cluster, reason: routed.routeReason });
  }

  /** Records what a snapshot says; returns true if the batch's state changed. */
  recordBatch(snapshot: BatchSnapshot): boolean {
    const attempt = this.currentAttempt;
    if (!attempt) return false;
    const stateChanged = attempt.batchState !== snapshot.state;
    attempt.batchId = snapshot.batchId ?? attempt.batchId;
    attempt.batchState = snapshot.state;
    if (snapshot.source) attempt.source = snapshot.source;
    attempt.appId = snapshot.appId ?? attempt.appId;
    attempt.sparkUiUrl = snapshot.sparkUiUrl ?? attempt.sparkUiUrl;
    // Livy clears driverLogUrl when the app ends; keep the last one we saw.
    attempt.driverLogUrl = snapshot.driverLogUrl ?? attempt.driverLogUrl;
    if (snapshot.state === 'running' && !attempt.startedAt) attempt.startedAt = now();
    if (snapshot.log?.length) this.status.logTail = snapshot.log.slice(-LOG_TAIL_LINES);
    this.touch();
    if (stateChanged) this.audit('batch.state', { attempt: attempt.n, batchId: snapshot.batchId, batchState: snapshot.state });
    return stateChanged;
  }

  finishAttempt(outcome: AttemptRecord['outcome'], reason?: string): void {
    const attempt = this.currentAttempt;
    if (!attempt || attempt.outcome) return;
    attempt.outcome = outcome;
    attempt.reason = reason;
    attempt.finishedAt = now();
    this.touch();
    this.audit('attempt.finished', { attempt: attempt.n, outcome, reason });
    jobMetrics.attemptFinished(this.status.team, outcome ?? 'UNKNOWN', attempt.cluster);
  }

  recordError(error: JobError): void {
    this.status.lastError = error;
    if (error.class === 'app') this.status.budgets.appFailures++;
    if (error.class === 'infra') this.status.budgets.infraFailures++;
    this.touch();
  }

  /** True if another retry is allowed for this failure class. */
  canRetry(error: JobError): boolean {
    const b = this.status.budgets;
    if (error.class === 'app') return b.appFailures <= b.appRetries;
    if (error.class === 'infra') return b.infraFailures <= b.infraRetries;
    return false;
  }

  recordCancel(request: CancelRequest): void {
    this.status.cancel = request;
    this.touch();
    this.audit('job.cancel-requested', { ...request });
  }

  private touch(): void {
    this.status.updatedAt = now();
  }

  private publish(): void {
    const attempt = this.currentAttempt;
    // The Web UI's "current details": what an operator needs at a glance.
    setCurrentDetails(
      `**${this.status.state}**` +
        (attempt ? ` — attempt ${attempt.n} on ${attempt.cluster ?? '?'}${attempt.clusterName ? ` (${attempt.clusterName})` : ''} (batch ${attempt.batchName})` : '') +
        (this.status.lastError ? `\n\nlast error: ${this.status.lastError.type}: ${this.status.lastError.message}` : ''),
    );
    upsertSearchAttributes([
      { key: SA.state, value: this.status.state },
      { key: SA.team, value: this.status.team },
      { key: SA.kind, value: this.status.kind },
      { key: SA.jobName, value: this.status.name },
      ...(Object.keys(this.status.labels).length ? [{ key: SA.labels, value: labelValues(this.status.labels) }] : []),
      ...(this.status.requestedBy ? [{ key: SA.requestedBy, value: this.status.requestedBy }] : []),
      ...(attempt?.cluster ? [{ key: SA.cluster, value: attempt.cluster }] : []),
      ...(attempt?.clusterName ? [{ key: SA.clusterName, value: attempt.clusterName }] : []),
      ...(attempt ? [{ key: SA.attempt, value: attempt.n }] : []),
    ]);
  }

  /** One structured line per lifecycle event; the workflow logger drops them during replay. */
  private audit(event: string, fields: Record<string, unknown>): void {
    const attempt = this.currentAttempt;
    log.info(event, {
      event,
      jobId: this.status.jobId,
      team: this.status.team,
      requestedBy: this.status.requestedBy,
      runId: workflowInfo().runId,
      ...(attempt ? { attempt: attempt.n, cluster: attempt.cluster } : {}),
      ...fields,
    });
  }
}
