/**
 * A job's audit timeline, read from its workflow history: who submitted it, every state change,
 * each attempt's routing, batch and outcome, retries, who asked to cancel it (and why, and how),
 * and how it ended. Continue-as-new chains are followed, so the timeline covers the whole job.
 * Nothing here needs a worker: a finished job's history is enough.
 */
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
// The proto package is CommonJS: Node's ESM loader sees only its default export.
import proto, { type temporal } from '@temporalio/proto';
import {
  classifyFailure,
  isTerminalJobState,
  JOB_STATUS_MEMO_KEY,
  SA,
  type AttemptOutcome,
  type BatchRef,
  type BatchSnapshot,
  type CancelAnswer,
  type CancelArgs,
  type ClusterChoice,
  type JobSpecInput,
  type JobState,
  type JobStatus,
  type KillResult,
  type ReconcileInput,
  type RouteInput,
  type SparkJobInput,
  type SubmitInput,
  type SubmitResult,
  type WaitInput,
} from '../contract';
import { CLOSE_AS_CANCELLED_REASON } from '../contract/runActivities';

type History = temporal.api.history.v1.IHistory;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Failure = temporal.api.failure.v1.IFailure;
const EventType = proto.temporal.api.enums.v1.EventType;

export type AuditEventKind =
  /** An earlier run of the job ID (it ended FAILED, CANCELLED or TIMED_OUT), as the rerun's record keeps it. */
  | 'earlier-run'
  /** The job was started (WorkflowExecutionStarted); a rerun is a new start of the same job ID. */
  | 'submitted'
  /** ShaleState changed (UpsertWorkflowSearchAttributes). */
  | 'state'
  /** routeJob chose a cluster for an attempt. */
  | 'routed'
  /** submitBatch created (or adopted) the attempt's Livy batch. */
  | 'batch-submitted'
  /** waitForBatchChange saw the batch change state. */
  | 'batch-state'
  /** killBatch looked at the batch and DELETEd it if it was still alive. */
  | 'batch-killed'
  /** reconcileBatch looked a lost batch up by name. */
  | 'batch-reconciled'
  /** One of the activities above failed for good (after its own retries). */
  | 'activity-failed'
  /** The workflow settled an attempt's outcome. */
  | 'attempt-ended'
  /** A backoff before the next attempt. */
  | 'retry'
  /** A cancel request: signal `cancel`, Update `requestCancel`, or Temporal's own workflow cancellation. */
  | 'cancel-requested'
  /** The run handed over to a new run of the same job. */
  | 'continued-as-new'
  /** The job's workflow closed. */
  | 'ended';

export interface AuditEntry {
  /** When Temporal recorded the event (ISO 8601). */
  at: string;
  event: AuditEventKind;
  /** Who acted: the submitter or canceller as they named themselves, else the Temporal identity that did it (a worker for the workflow's own steps). */
  actor: string;
  /** The attempt the entry is about, if any. */
  attempt?: number;
  /** One line for people. */
  summary: string;
  details: Record<string, unknown>;
  /** The run (of a continue-as-new chain) and the event the entry comes from. */
  runId: string;
  eventId: number;
}

/** One run's history, as fetched. */
export interface RunHistory {
  runId: string;
  history: History;
}

const MAX_RUNS = 10_000;

/**
 * Every run of the job, oldest first: the current run's first event names the chain's first run,
 * and each run's closing event names the next one.
 */
export async function fetchJobHistories(client: Client, jobId: string): Promise<RunHistory[]> {
  const latest = await client.workflow.getHandle(jobId).fetchHistory();
  const started = latest.events?.[0]?.workflowExecutionStartedEventAttributes;
  const latestRunId = started?.originalExecutionRunId ?? '';
  const firstRunId = started?.firstExecutionRunId || latestRunId;
  if (!started?.continuedExecutionRunId || !firstRunId || firstRunId === latestRunId) return [{ runId: latestRunId, history: latest }];
  const runs: RunHistory[] = [];
  const seen = new Set<string>();
  let runId: string | undefined = firstRunId;
  while (runId && !seen.has(runId) && runs.length < MAX_RUNS) {
    seen.add(runId);
    const history: History = runId === latestRunId ? latest : await client.workflow.getHandle(jobId, runId).fetchHistory();
    runs.push({ runId, history });
    if (runId === latestRunId) break;
    runId = nextRunId(history);
  }
  return runs;
}

/** The run that followed this one (continue-as-new, or a retry/cron run), if any. */
function nextRunId(history: History): string | undefined {
  const last = history.events?.at(-1);
  return (
    last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ||
    last?.workflowExecutionCompletedEventAttributes?.newExecutionRunId ||
    last?.workflowExecutionFailedEventAttributes?.newExecutionRunId ||
    last?.workflowExecutionTimedOutEventAttributes?.newExecutionRunId ||
    undefined
  );
}

function decode<T>(payload: Payload | null | undefined): T | undefined {
  if (!payload) return undefined;
  try {
    return defaultPayloadConverter.fromPayload<T>(payload);
  } catch {
    return undefined;
  }
}

function num(value: unknown): number {
  return Number(String(value ?? 0));
}

function timeOf(event: HistoryEvent): string {
  const t = event.eventTime;
  return new Date(num(t?.seconds) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6)).toISOString();
}

function durationSeconds(d: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return num(d?.seconds) + (d?.nanos ?? 0) / 1e9;
}

function attemptOfBatch(batchName: string | undefined): number | undefined {
  const match = batchName ? /-a(\d+)$/.exec(batchName) : null;
  return match ? Number(match[1]) : undefined;
}

function describeFailure(failure: Failure | null | undefined): { type: string; message: string } {
  const type = failure?.applicationFailureInfo?.type || (failure?.timeoutFailureInfo ? 'Timeout' : failure?.canceledFailureInfo ? 'Cancelled' : 'Error');
  const causeMessage = failure?.cause?.message ? ` (${failure.cause.message})` : '';
  return { type, message: `${failure?.message ?? 'no message'}${causeMessage}` };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

type ActivityName = 'routeJob' | 'submitBatch' | 'waitForBatchChange' | 'killBatch' | 'reconcileBatch';
const AUDITED_ACTIVITIES = new Set<string>(['routeJob', 'submitBatch', 'waitForBatchChange', 'killBatch', 'reconcileBatch']);

interface ScheduledActivity {
  name: ActivityName;
  input: unknown;
  attempt?: number;
  actor: string;
}

interface AttemptTrack {
  n: number;
  cluster?: string;
  batchId?: number;
  batchState?: string;
  lastFailure?: { type: string; message: string };
  ended: boolean;
}

export interface AuditOptions {
  /** The running job's current status (from the status query): fills in outcomes and reasons not yet in the history. */
  liveStatus?: JobStatus;
}

/** Builds the timeline of a job from the histories of its runs, oldest first. */
export function auditTimeline(runs: RunHistory[], options: AuditOptions = {}): AuditEntry[] {
  const builder = new TimelineBuilder(runs, options);
  return builder.build();
}

class TimelineBuilder {
  private readonly entries: AuditEntry[] = [];
  private lastState: JobState | undefined;
  private readonly attempts = new Map<number, AttemptTrack>();
  private currentAttempt: number | undefined;
  private cancelRequests = 0;
  /** The statuses the history carries (each later run's resume status, the final result), latest last. */
  private readonly statuses: JobStatus[] = [];

  constructor(
    private readonly runs: RunHistory[],
    options: AuditOptions,
  ) {
    for (const { history } of runs) {
      for (const event of history.events ?? []) {
        const started = event.workflowExecutionStartedEventAttributes;
        if (started) {
          const input = decode<SparkJobInput>(started.input?.payloads?.[0]);
          if (input?.resume?.status) this.statuses.push(input.resume.status);
        }
        const completed = event.workflowExecutionCompletedEventAttributes;
        if (completed) {
          const result = decode<JobStatus>(completed.result?.payloads?.[0]);
          if (result) this.statuses.push(result);
        }
        const failed = statusOfFailure(event.workflowExecutionFailedEventAttributes?.failure);
        if (failed) this.statuses.push(failed);
        const memo = statusOfMemo(event);
        if (memo) this.statuses.push(memo);
      }
    }
    if (options.liveStatus) this.statuses.push(options.liveStatus);
  }

  build(): AuditEntry[] {
    this.earlierRuns();
    for (const run of this.runs) this.readRun(run);
    return this.entries;
  }

  /** The job's earlier runs, from the latest record of them (the workflow keeps them; nothing is re-derived here). */
  private earlierRuns(): void {
    const record = [...this.statuses].reverse().find((s) => s.previousRuns?.length);
    const firstInput = decode<SparkJobInput>(this.runs[0]?.history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]);
    const runs = record?.previousRuns ?? firstInput?.previousRuns ?? [];
    for (const run of runs) {
      this.entries.push({
        at: run.finishedAt ?? run.startedAt,
        event: 'earlier-run',
        actor: 'shale',
        summary: `run ${run.run} (${run.runId}) ended ${run.state} after ${plural(run.attempts, 'attempt')}${run.reason ? `: ${run.reason}` : ''}`,
        details: { ...run },
        runId: run.runId,
        eventId: 0,
      });
    }
  }

  /** The record's canceller for a native cancellation, so status and audit name the same one. */
  private recordedCanceller(via: 'signal' | 'update' | 'workflow-cancel'): string | undefined {
    for (let i = this.statuses.length - 1; i >= 0; i--) {
      const cancel = this.statuses[i]!.cancel;
      if (cancel) return cancel.via === via ? cancel.requestedBy : undefined;
    }
    return undefined;
  }

  private readRun({ runId, history }: RunHistory): void {
    const events = history.events ?? [];
    const workerOf = new Map<number, string>();
    const scheduled = new Map<number, ScheduledActivity>();
    const timers = new Map<string, { nextAttempt: number; entry: AuditEntry }>();
    const cancelUpdates = new Map<string, AuditEntry>();
    let retryTask: number | undefined;

    const add = (event: HistoryEvent, entry: Omit<AuditEntry, 'at' | 'runId' | 'eventId'>): AuditEntry => {
      const full: AuditEntry = { at: timeOf(event), ...entry, runId, eventId: num(event.eventId) };
      this.entries.push(full);
      return full;
    };
    const worker = (taskCompletedEventId: unknown) => workerOf.get(num(taskCompletedEventId)) ?? 'worker';

    for (const event of events) {
      switch (event.eventType) {
        case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
          this.started(event, add);
          break;
        case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
          workerOf.set(num(event.eventId), event.workflowTaskCompletedEventAttributes?.identity || 'worker');
          break;
        case EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
          const attrs = event.upsertWorkflowSearchAttributesEventAttributes;
          const changed = this.stateChange(event, worker(attrs?.workflowTaskCompletedEventId), add);
          if (changed === 'RETRYING') retryTask = num(attrs?.workflowTaskCompletedEventId);
          break;
        }
        case EventType.EVENT_TYPE_TIMER_STARTED: {
          const attrs = event.timerStartedEventAttributes;
          // The backoff sleep is the timer the workflow starts in the same task that set RETRYING.
          if (retryTask === undefined || num(attrs?.workflowTaskCompletedEventId) !== retryTask) break;
          retryTask = undefined;
          const seconds = durationSeconds(attrs?.startToFireTimeout);
          const nextAttempt = (this.currentAttempt ?? 0) + 1;
          const at = new Date(Date.parse(timeOf(event)) + seconds * 1000).toISOString();
          const entry = add(event, {
            event: 'retry',
            actor: worker(attrs?.workflowTaskCompletedEventId),
            attempt: nextAttempt,
            summary: `attempt ${nextAttempt} in ${seconds}s (at ${at})`,
            details: { nextAttempt, backoffSeconds: seconds, nextAttemptAt: at },
          });
          timers.set(attrs?.timerId ?? '', { nextAttempt, entry });
          break;
        }
        case EventType.EVENT_TYPE_TIMER_CANCELED: {
          const timer = timers.get(event.timerCanceledEventAttributes?.timerId ?? '');
          if (timer) {
            timer.entry.details.interrupted = true;
            timer.entry.summary += '; the backoff was interrupted';
          }
          break;
        }
        case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: {
          const attrs = event.activityTaskScheduledEventAttributes;
          const name = attrs?.activityType?.name ?? '';
          if (!AUDITED_ACTIVITIES.has(name)) break;
          const input = decode<unknown>(attrs?.input?.payloads?.[0]);
          scheduled.set(num(event.eventId), { name: name as ActivityName, input, attempt: attemptOfInput(name as ActivityName, input), actor: worker(attrs?.workflowTaskCompletedEventId) });
          break;
        }
        case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: {
          const attrs = event.activityTaskCompletedEventAttributes;
          const activity = scheduled.get(num(attrs?.scheduledEventId));
          if (!activity) break;
          this.activityCompleted(event, activity, decode<unknown>(attrs?.result?.payloads?.[0]), attrs?.identity || activity.actor, add);
          break;
        }
        case EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED: {
          const attrs = event.activityTaskFailedEventAttributes;
          const activity = scheduled.get(num(attrs?.scheduledEventId));
          if (activity) this.activityFailed(event, activity, attrs?.failure, attrs?.identity || activity.actor, add);
          break;
        }
        case EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: {
          const attrs = event.activityTaskTimedOutEventAttributes;
          const activity = scheduled.get(num(attrs?.scheduledEventId));
          if (activity) this.activityFailed(event, activity, attrs?.failure, activity.actor, add);
          break;
        }
        case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: {
          const attrs = event.workflowExecutionSignaledEventAttributes;
          if (attrs?.signalName !== 'cancel') break;
          const args = decode<CancelArgs>(attrs.input?.payloads?.[0]) ?? {};
          this.cancelRequested(event, 'signal', args, attrs.identity || undefined, add);
          break;
        }
        case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: {
          const request = event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest;
          if (request?.input?.name !== 'requestCancel') break;
          const args = decode<CancelArgs>(request.input.args?.payloads?.[0]) ?? {};
          const entry = this.cancelRequested(event, 'update', args, request.meta?.identity || undefined, add);
          cancelUpdates.set(request.meta?.updateId ?? '', entry);
          break;
        }
        case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED: {
          const attrs = event.workflowExecutionUpdateCompletedEventAttributes;
          const entry = cancelUpdates.get(attrs?.meta?.updateId ?? '');
          if (!entry) break;
          const answer = decode<CancelAnswer>(attrs?.outcome?.success?.payloads?.[0]);
          if (answer) {
            entry.details.answer = answer;
            entry.summary += answer.accepted ? ` — accepted while ${answer.state}` : ` — not accepted: ${answer.message}`;
          } else if (attrs?.outcome?.failure) {
            entry.details.answer = { failure: attrs.outcome.failure.message };
            entry.summary += ` — the Update failed: ${attrs.outcome.failure.message}`;
          }
          break;
        }
        case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED: {
          const attrs = event.workflowExecutionCancelRequestedEventAttributes;
          // A run cancelled by signal or Update asks Temporal to cancel itself so that it closes Canceled: not a new request.
          if (attrs?.cause === CLOSE_AS_CANCELLED_REASON) break;
          const args: CancelArgs = { reason: attrs?.cause || 'workflow cancellation requested', requestedBy: this.recordedCanceller('workflow-cancel') };
          this.cancelRequested(event, 'workflow-cancel', args, attrs?.identity || undefined, add);
          break;
        }
        case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: {
          const attrs = event.workflowExecutionContinuedAsNewEventAttributes;
          add(event, {
            event: 'continued-as-new',
            actor: worker(attrs?.workflowTaskCompletedEventId),
            summary: `continued as new run ${attrs?.newExecutionRunId} after ${plural(events.length, 'event')}`,
            details: { newRunId: attrs?.newExecutionRunId, events: events.length },
          });
          break;
        }
        case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: {
          const attrs = event.workflowExecutionCompletedEventAttributes;
          const result = decode<JobStatus>(attrs?.result?.payloads?.[0]);
          this.ended(event, worker(attrs?.workflowTaskCompletedEventId), result, add);
          break;
        }
        case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: {
          const attrs = event.workflowExecutionFailedEventAttributes;
          const status = statusOfFailure(attrs?.failure);
          if (status) {
            // The job ended FAILED or TIMED_OUT (or CANCELLED, if its run could not close Canceled).
            this.ended(event, worker(attrs?.workflowTaskCompletedEventId), status, add);
            break;
          }
          const failure = describeFailure(attrs?.failure);
          add(event, {
            event: 'ended',
            actor: worker(attrs?.workflowTaskCompletedEventId),
            summary: `FAILED: the workflow failed: [${failure.type}] ${failure.message}`,
            details: { state: 'FAILED', workflowStatus: 'FAILED', error: failure },
          });
          break;
        }
        case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED: {
          const attrs = event.workflowExecutionTerminatedEventAttributes;
          const reason = attrs?.reason || 'no reason given';
          add(event, {
            event: 'ended',
            actor: attrs?.identity || 'unknown',
            summary: `FAILED: the workflow was terminated: ${reason}`,
            details: { state: 'FAILED', workflowStatus: 'TERMINATED', reason },
          });
          break;
        }
        case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
          add(event, {
            event: 'ended',
            actor: 'temporal',
            summary: 'TIMED_OUT: the workflow ran past its execution timeout',
            details: { state: 'TIMED_OUT', workflowStatus: 'TIMED_OUT' },
          });
          break;
        case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED: {
          const attrs = event.workflowExecutionCanceledEventAttributes;
          const status = lastMemoStatus(events);
          if (status) {
            this.ended(event, worker(attrs?.workflowTaskCompletedEventId), status, add);
            break;
          }
          add(event, {
            event: 'ended',
            actor: worker(attrs?.workflowTaskCompletedEventId),
            summary: 'CANCELLED: the workflow was cancelled',
            details: { state: 'CANCELLED', workflowStatus: 'CANCELED' },
          });
          break;
        }
        default:
          break;
      }
    }
  }

  private started(event: HistoryEvent, add: AddEntry): void {
    const attrs = event.workflowExecutionStartedEventAttributes;
    const input = decode<SparkJobInput>(attrs?.input?.payloads?.[0]);
    // A later run of the chain starts where the last one stopped: not a new submission.
    if (!input || input.resume || attrs?.continuedExecutionRunId) return;
    const spec = input.spec as Partial<JobSpecInput> & { size?: string };
    const identity = attrs?.identity || 'unknown';
    const requestedBy = spec.requestedBy;
    const labels = spec.labels ?? {};
    const labelText = Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const rerunOf = input.previousRuns?.at(-1);
    add(event, {
      event: 'submitted',
      actor: requestedBy ?? identity,
      summary:
        (rerunOf ? `run ${rerunOf.run + 1} (a rerun after run ${rerunOf.run} ended ${rerunOf.state}): ` : '') +
        `${spec.team}/${spec.name} (${spec.kind}${spec.size ? `, ${spec.size}` : ''}) submitted by ${identity}` +
        (requestedBy && requestedBy !== identity ? ` for ${requestedBy}` : '') +
        (labelText ? `; labels ${labelText}` : ''),
      details: {
        identity,
        requestedBy,
        labels,
        jobId: input.jobId,
        name: spec.name,
        team: spec.team,
        kind: spec.kind,
        size: spec.size,
        fingerprint: input.fingerprint,
        run: (rerunOf?.run ?? 0) + 1,
      },
    });
  }

  /** Returns the new state if ShaleState changed. */
  private stateChange(event: HistoryEvent, actor: string, add: AddEntry): JobState | undefined {
    const fields = event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {};
    const state = decode<JobState>(fields[SA.state.name]);
    if (!state || state === this.lastState) return undefined;
    const cluster = decode<string>(fields[SA.cluster.name]);
    const attempt = decode<number>(fields[SA.attempt.name]);
    if (state === 'RETRYING' || isTerminalJobState(state)) this.attemptEnded(event, actor, state, add);
    const from = this.lastState;
    this.lastState = state;
    const where = attempt !== undefined && !isTerminalJobState(state) ? ` (attempt ${attempt}${cluster ? ` on ${cluster}` : ''})` : '';
    add(event, {
      event: 'state',
      actor,
      ...(attempt !== undefined ? { attempt } : {}),
      summary: from ? `${from} → ${state}${where}` : `${state}: accepted by the worker`,
      details: { from, to: state, cluster, attempt },
    });
    return state;
  }

  /** The workflow settled the current attempt just before this state change (RETRYING or terminal). */
  private attemptEnded(event: HistoryEvent, actor: string, newState: JobState, add: AddEntry): void {
    const n = this.currentAttempt;
    const track = n === undefined ? undefined : this.attempts.get(n);
    if (!track || track.ended) return;
    track.ended = true;
    const known = this.knownAttempt(track.n);
    const outcome = known?.outcome ?? inferOutcome(newState, track);
    const reason = known?.reason ?? track.lastFailure?.message ?? (track.batchState && track.batchState !== 'success' ? `the batch ended ${track.batchState}` : undefined);
    add(event, {
      event: 'attempt-ended',
      actor,
      attempt: track.n,
      summary: `attempt ${track.n}${track.cluster ? ` on ${track.cluster}` : ''}${track.batchId !== undefined ? ` (batch ${track.batchId})` : ''}: ${outcome ?? 'ended'}${reason ? `: ${reason}` : ''}`,
      details: { outcome, reason, cluster: track.cluster, batchId: track.batchId, batchState: track.batchState },
    });
  }

  private knownAttempt(n: number) {
    for (let i = this.statuses.length - 1; i >= 0; i--) {
      const attempt = this.statuses[i]!.attempts.find((a) => a.n === n);
      if (attempt?.outcome) return attempt;
    }
    return undefined;
  }

  private track(n: number | undefined): AttemptTrack | undefined {
    if (n === undefined) return undefined;
    let track = this.attempts.get(n);
    if (!track) {
      track = { n, ended: false };
      this.attempts.set(n, track);
    }
    return track;
  }

  private activityCompleted(event: HistoryEvent, activity: ScheduledActivity, result: unknown, actor: string, add: AddEntry): void {
    const n = activity.attempt;
    const track = this.track(n);
    const base = { actor, ...(n !== undefined ? { attempt: n } : {}) };
    switch (activity.name) {
      case 'routeJob': {
        const choice = result as ClusterChoice | undefined;
        const input = activity.input as RouteInput | undefined;
        if (!choice || !track) return;
        this.currentAttempt = track.n;
        track.cluster = choice.cluster;
        add(event, {
          event: 'routed',
          ...base,
          summary: `attempt ${track.n} → ${choice.cluster}: ${choice.reason}`,
          details: { cluster: choice.cluster, livyUrl: choice.livyUrl, reason: choice.reason, excluded: input?.exclude ?? [] },
        });
        return;
      }
      case 'submitBatch': {
        const submitted = result as SubmitResult | undefined;
        const input = activity.input as SubmitInput | undefined;
        if (!submitted) return;
        if (track) {
          track.batchId = submitted.batchId;
          track.batchState = submitted.state;
          track.cluster ??= input?.cluster;
        }
        add(event, {
          event: 'batch-submitted',
          ...base,
          summary: `batch ${submitted.batchId} ${submitted.batchName} ${submitted.adopted ? 'adopted (already there)' : 'created'} on ${input?.cluster ?? '?'}, ${submitted.state}`,
          details: { cluster: input?.cluster, batchId: submitted.batchId, batchName: submitted.batchName, state: submitted.state, adopted: submitted.adopted },
        });
        return;
      }
      case 'waitForBatchChange': {
        const snapshot = result as BatchSnapshot | undefined;
        const input = activity.input as WaitInput | undefined;
        if (!snapshot || snapshot.state === input?.knownState) return; // a quiet window: nothing changed
        if (track) {
          track.batchId = snapshot.batchId;
          track.batchState = snapshot.state;
        }
        add(event, {
          event: 'batch-state',
          ...base,
          summary: `batch ${snapshot.batchId} ${input?.knownState ?? '?'} → ${snapshot.state}${snapshot.appId ? ` (${snapshot.appId})` : ''}`,
          details: { cluster: input?.cluster, batchId: snapshot.batchId, from: input?.knownState, to: snapshot.state, appId: snapshot.appId, sparkUiUrl: snapshot.sparkUiUrl },
        });
        return;
      }
      case 'killBatch': {
        const killed = result as KillResult | undefined;
        const ref = activity.input as BatchRef | undefined;
        if (!killed) return;
        if (track && killed.deleted) track.batchState = 'killed';
        const what =
          killed.stateBefore === 'gone'
            ? 'Livy no longer had it'
            : killed.deleted
              ? `it was ${killed.stateBefore}; DELETE sent`
              : `it had already ended ${killed.stateBefore}; left alone`;
        add(event, {
          event: 'batch-killed',
          ...base,
          summary: `batch ${ref?.batchId ?? '?'} on ${ref?.cluster ?? '?'}: ${what}`,
          details: { cluster: ref?.cluster, batchId: ref?.batchId, stateBefore: killed.stateBefore, deleted: killed.deleted },
        });
        return;
      }
      case 'reconcileBatch': {
        const found = result as BatchSnapshot | undefined;
        const input = activity.input as ReconcileInput | undefined;
        if (found && track) {
          track.batchId = found.batchId;
          track.batchState = found.state;
        }
        add(event, {
          event: 'batch-reconciled',
          ...base,
          summary: found
            ? `found ${input?.batchName ?? 'the batch'} on ${input?.cluster ?? '?'} as batch ${found.batchId} (${found.state}): adopted`
            : `no batch named ${input?.batchName ?? '?'} on ${input?.cluster ?? '?'}`,
          details: { cluster: input?.cluster, batchName: input?.batchName, found: !!found, batchId: found?.batchId, state: found?.state },
        });
        return;
      }
    }
  }

  private activityFailed(event: HistoryEvent, activity: ScheduledActivity, failure: Failure | null | undefined, actor: string, add: AddEntry): void {
    const n = activity.attempt;
    const error = describeFailure(failure);
    const track = this.track(n);
    if (track && activity.name !== 'reconcileBatch') track.lastFailure = error;
    const input = activity.input as { cluster?: string; batchId?: number } | undefined;
    add(event, {
      event: 'activity-failed',
      actor,
      ...(n !== undefined ? { attempt: n } : {}),
      summary: `${activity.name}${n !== undefined ? ` (attempt ${n})` : ''} failed: [${error.type}] ${error.message}`,
      details: { activity: activity.name, type: error.type, message: error.message, cluster: input?.cluster, batchId: input?.batchId },
    });
  }

  private cancelRequested(event: HistoryEvent, via: 'signal' | 'update' | 'workflow-cancel', args: CancelArgs, identity: string | undefined, add: AddEntry): AuditEntry {
    const earlier = this.cancelRequests++;
    const requestedBy = args.requestedBy || undefined;
    const reason = args.reason || 'no reason given';
    const who = requestedBy ?? identity ?? 'unknown';
    const ignored = via !== 'update' && (earlier > 0 || (this.lastState !== undefined && isTerminalJobState(this.lastState)));
    return add(event, {
      event: 'cancel-requested',
      actor: who,
      summary:
        `cancel via ${via} by ${who}${identity && identity !== who ? ` (identity ${identity})` : ''}: ${reason}` +
        (ignored ? ' — ignored: a cancel was already requested or the job had ended' : ''),
      details: { via, requestedBy, reason, identity, ...(ignored ? { ignored } : {}) },
    });
  }

  private ended(event: HistoryEvent, actor: string, result: JobStatus | undefined, add: AddEntry): void {
    if (!result) {
      add(event, { event: 'ended', actor, summary: 'completed (no result)', details: {} });
      return;
    }
    const attempts = result.attempts.length;
    let summary = `${result.state} after ${plural(attempts, 'attempt')}`;
    if (result.state === 'CANCELLED' && result.cancel) {
      summary += `: cancelled by ${result.cancel.requestedBy} via ${result.cancel.via}: ${result.cancel.reason}`;
    } else if (result.state !== 'SUCCEEDED' && result.lastError) {
      summary += `: [${result.lastError.class}] ${result.lastError.type}: ${result.lastError.message}`;
    }
    add(event, {
      event: 'ended',
      actor,
      summary,
      details: { state: result.state, attempts, finishedAt: result.finishedAt, lastError: result.lastError, cancel: result.cancel, budgets: result.budgets },
    });
  }
}

type AddEntry = (event: HistoryEvent, entry: Omit<AuditEntry, 'at' | 'runId' | 'eventId'>) => AuditEntry;

function attemptOfInput(name: ActivityName, input: unknown): number | undefined {
  if (name === 'routeJob') return (input as RouteInput | undefined)?.attempt;
  return attemptOfBatch((input as { batchName?: string } | undefined)?.batchName);
}

const OUTCOME_BY_CLASS = { app: 'APP_FAILED', infra: 'INFRA_FAILED', fatal: 'FATAL' } as const satisfies Record<string, AttemptOutcome>;

/** Only when no status in the history (or the live one) has settled the attempt yet. */
function inferOutcome(newState: JobState, track: AttemptTrack): AttemptOutcome | undefined {
  if (newState === 'SUCCEEDED') return 'SUCCEEDED';
  if (newState === 'CANCELLED') return 'CANCELLED';
  if (newState === 'TIMED_OUT') return 'TIMED_OUT';
  if (track.lastFailure) return OUTCOME_BY_CLASS[classifyFailure(track.lastFailure.type)];
  if (track.batchState === 'dead') return 'APP_FAILED';
  return undefined;
}

/** The status a FAILED/TIMED_OUT job's workflow failure carries in its details (JobFailed, JobTimedOut; or a cancel that closed Failed). */
function statusOfFailure(failure: Failure | null | undefined): JobStatus | undefined {
  if (!failure) return undefined;
  const payload = failure.applicationFailureInfo?.details?.payloads?.[0] ?? failure.canceledFailureInfo?.details?.payloads?.[0];
  const status = decode<JobStatus>(payload);
  return status && typeof status === 'object' && typeof status.state === 'string' && Array.isArray(status.attempts) ? status : undefined;
}

/** The status a cancelled job's run keeps in its memo (WorkflowPropertiesModified), if this event sets it. */
function statusOfMemo(event: HistoryEvent): JobStatus | undefined {
  const fields = event.workflowPropertiesModifiedEventAttributes?.upsertedMemo?.fields;
  const status = decode<JobStatus>(fields?.[JOB_STATUS_MEMO_KEY]);
  return status && typeof status === 'object' && typeof status.state === 'string' && Array.isArray(status.attempts) ? status : undefined;
}

function lastMemoStatus(events: HistoryEvent[]): JobStatus | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const status = statusOfMemo(events[i]!);
    if (status) return status;
  }
  return undefined;
}
