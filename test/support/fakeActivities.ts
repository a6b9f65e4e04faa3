/**
 * Fake activities for workflow tests: a scripted cluster whose batches move through Livy's states
 * on a virtual clock. The time-skipping server cannot skip time while an activity is running, so
 * batch time runs fast inside the fake (a 24-hour job takes a fraction of a second) while the
 * workflow's own timers (backoff, queue timeout) are skipped by the server.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import {
  ErrorType,
  DEFAULT_SIZE_SETTINGS,
  type ReconcileInput,
  type ValidatedJob,
  type ValidateJobInput,
  type BatchRef,
  type BatchSnapshot,
  type ClusterChoice,
  type KillResult,
  type RouteInput,
  type ShaleActivities,
  type SubmitInput,
  type SubmitResult,
  type WaitInput,
} from '../../contract';
import { createJobValidation } from '../../activities/validateJob';

export interface AttemptScript {
  /** How the batch ends; 'lost' makes Livy forget it mid-run. */
  outcome?: 'success' | 'dead' | 'killed' | 'lost';
  startingMs?: number;
  runningMs?: number;
  /** Submission fails with this error type (non-retryable) instead of creating a batch. */
  submitError?: string;
  /** Submission blocks until release() is called (a POST in flight). */
  holdSubmit?: boolean;
  /** Killing blocks until releaseKill() is called (a cancel's DELETE in flight). */
  holdKill?: boolean;
  /** Log lines Livy reports once the batch has ended (default: a generic driver failure for `dead`). */
  log?: string[];
  /**
   * The batch ends as scripted, but waitForBatchChange never reports it (it ended between two polls,
   * just as a cancel or a deadline arrived); killBatch sees the real state.
   */
  endUnseen?: boolean;
  /** The first N submission tries find Livy unreachable (retryable, as the real activity throws it). */
  submitUnreachableTries?: number;
  /** The first N submissions are refused for capacity ("too many sessions"): back-pressure. */
  capacityRefusals?: number;
  /** Once Livy forgot the batch ('lost'), YARN's ResourceManager still reports this outcome by tag. */
  yarnOutcome?: 'success' | 'dead' | 'killed';
  /** The wait fails with this (non-retryable) error type once the batch runs, e.g. LivyUnreachable past the bound. */
  waitError?: string;
  /** Every kill finds Livy unreachable (the attempt goes to the sweeper). */
  killUnreachable?: boolean;
}

interface FakeBatch {
  id: number;
  name: string;
  createdAt: number;
  script: AttemptScript;
  killedAt?: number;
}

export interface Clock {
  /** Virtual milliseconds per real millisecond. */
  readonly speed: number;
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** `speed` virtual milliseconds pass per real millisecond. */
export function virtualClock(speed: number): Clock {
  const origin = Date.now();
  return {
    speed,
    now: () => origin + (Date.now() - origin) * speed,
    // setTimeout turns delays past 2^31-1 ms into 1 ms; a longer virtual sleep just wakes early and sleeps again.
    sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(Math.ceil(ms / speed), 2 ** 31 - 1))),
  };
}

const validation = createJobValidation({ teams: {}, sizes: DEFAULT_SIZE_SETTINGS });

/** One virtual hour per 20 real milliseconds. */
export const FAST = 180_000;

/** Blocks a held call until the test releases it, or until the activity is cancelled (worker shutdown). */
function untilReleasedOrCancelled(keepRelease: (release: () => void) => void): Promise<void> {
  const signal = Context.current().cancellationSignal;
  return new Promise<void>((resolve, reject) => {
    keepRelease(resolve);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

export class FakeCluster {
  readonly posts: string[] = [];
  readonly deletes: string[] = [];
  readonly routes: RouteInput[] = [];
  /** Every submitBatch call (each try, including those that failed before any POST). */
  readonly submits: string[] = [];
  /** Every killBatch call (each reads the state; only some DELETE). */
  readonly kills: string[] = [];
  reconciles = 0;
  /** Every validateJob call. */
  validations = 0;
  /** Submission tries refused or failed, per batch name. */
  private readonly refusals = new Map<string, number>();
  /** The Livy calls that change something, in order: `POST <name>` and `DELETE <name>`. */
  readonly livyCalls: string[] = [];
  private readonly batches = new Map<string, FakeBatch>();
  private nextId = 0;
  private releaseSubmit?: () => void;
  /** Resolves once a held submission is in flight. */
  submitInFlight: Promise<void>;
  private markInFlight!: () => void;
  private releaseKillCall?: () => void;
  /** Resolves once a held kill is in flight. */
  killInFlight: Promise<void>;
  private markKillInFlight!: () => void;
  healthy = true;

  constructor(
    private readonly clock: Clock,
    private readonly scripts: AttemptScript[],
  ) {
    this.submitInFlight = new Promise((r) => (this.markInFlight = r));
    this.killInFlight = new Promise((r) => (this.markKillInFlight = r));
  }

  release(): void {
    this.releaseSubmit?.();
  }

  releaseKill(): void {
    this.releaseKillCall?.();
  }

  private scriptFor(name: string): AttemptScript {
    const n = Number(/-a(\d+)$/.exec(name)?.[1] ?? 1);
    return this.scripts[Math.min(n, this.scripts.length) - 1] ?? {};
  }

  /** The batch's state as Livy has it, or (`watcher`) as the tracking activity gets to see it. */
  private stateAt(batch: FakeBatch, now: number, view: 'livy' | 'watcher' = 'livy'): string {
    const s = batch.script;
    if (batch.killedAt !== undefined) return 'killed';
    const elapsed = now - batch.createdAt;
    if (elapsed < (s.startingMs ?? 1000)) return 'starting';
    if (elapsed < (s.startingMs ?? 1000) + (s.runningMs ?? 60_000)) return 'running';
    if (view === 'watcher' && s.endUnseen) return 'running';
    return s.outcome === 'lost' ? 'lost' : (s.outcome ?? 'success');
  }

  private nextChangeAt(batch: FakeBatch, now: number): number {
    const s = batch.script;
    const runningAt = batch.createdAt + (s.startingMs ?? 1000);
    if (now < runningAt) return runningAt;
    const endsAt = runningAt + (s.runningMs ?? 60_000);
    return now < endsAt || !s.endUnseen ? endsAt : Number.POSITIVE_INFINITY;
  }

  private snapshot(batch: FakeBatch, state: string): BatchSnapshot {
    const ended = ['success', 'dead', 'killed'].includes(state);
    const log =
      ended && batch.script.log
        ? batch.script.log
        : state === 'dead'
          ? ['stdout: working', 'YARN Diagnostics: User application exited with status 1']
          : ['stdout: working'];
    return { batchId: batch.id, batchName: batch.name, state, appId: `application_1_${batch.id}`, log };
  }

  activities(): ShaleActivities {
    return {
      // The real validation (pure CPU): the contract and the default team policy.
      validateJob: async (input: ValidateJobInput): Promise<ValidatedJob> => {
        this.validations++;
        return validation.validateJob(input);
      },
      routeJob: async (input: RouteInput): Promise<ClusterChoice> => {
        this.routes.push(input);
        if (!this.healthy) throw ApplicationFailure.create({ type: ErrorType.NoHealthyCluster, message: 'fake cluster down' });
        return { cluster: 'fake', livyUrl: 'http://fake:8998', reason: 'the only cluster' };
      },
      submitBatch: async (input: SubmitInput): Promise<SubmitResult> => {
        const script = this.scriptFor(input.batchName);
        this.submits.push(input.batchName);
        if (script.holdSubmit) {
          this.markInFlight();
          await untilReleasedOrCancelled((r) => (this.releaseSubmit = r));
        }
        // As the real activity gives up: non-retryable (a 400, or an outage past the failover bound).
        if (script.submitError) throw ApplicationFailure.create({ type: script.submitError, message: `fake ${script.submitError}`, nonRetryable: true });
        const tries = (this.refusals.get(input.batchName) ?? 0) + 1;
        this.refusals.set(input.batchName, tries);
        if (tries <= (script.submitUnreachableTries ?? 0)) {
          throw ApplicationFailure.create({ type: ErrorType.LivyUnreachable, message: 'fake: Livy did not answer' });
        }
        if (tries <= (script.capacityRefusals ?? 0)) {
          this.livyCalls.push(`REFUSED ${input.batchName}`);
          throw ApplicationFailure.create({ type: ErrorType.LivyCapacity, message: 'fake: too many sessions are being created', nonRetryable: true });
        }
        const existing = this.batches.get(input.batchName);
        if (existing) return { ...this.snapshot(existing, this.stateAt(existing, this.clock.now())), adopted: true };
        this.posts.push(input.batchName);
        this.livyCalls.push(`POST ${input.batchName}`);
        const batch: FakeBatch = { id: this.nextId++, name: input.batchName, createdAt: this.clock.now(), script };
        this.batches.set(batch.name, batch);
        return { ...this.snapshot(batch, 'starting'), adopted: false };
      },
      waitForBatchChange: async (input: WaitInput): Promise<BatchSnapshot> => {
        const batch = this.batches.get(input.batchName);
        const signal = Context.current().cancellationSignal;
        const windowEnd = (this.clock.now()) + input.windowSeconds * 1000;
        for (;;) {
          const now = this.clock.now();
          // Deleted (a cancel's kill) or never made: Livy answers 404 for the name, as the real watcher would see.
          if (!batch || this.batches.get(input.batchName) !== batch) {
            throw ApplicationFailure.create({ type: ErrorType.BatchLost, message: 'fake: no such batch', nonRetryable: true });
          }
          const state = this.stateAt(batch, now, 'watcher');
          if (state === 'lost') throw ApplicationFailure.create({ type: ErrorType.BatchLost, message: 'fake: Livy forgot the batch', nonRetryable: true });
          if (batch.script.waitError && state === 'running') throw ApplicationFailure.create({ type: batch.script.waitError, message: `fake ${batch.script.waitError}`, nonRetryable: true });
          if (state !== input.knownState || now >= windowEnd) return this.snapshot(batch, state);
          const until = Math.min(this.nextChangeAt(batch, now), windowEnd);
          Context.current().heartbeat();
          // Short real-time steps with a heartbeat each, as the real activity heartbeats: a cancellation reaches it.
          await Promise.race([
            this.clock.sleep(Math.min(Math.max(1, until - now), 50 * this.clock.speed)),
            new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true })),
          ]);
        }
      },
      // A lost batch is gone for good in the fake: the look-up by name finds nothing.
      reconcileBatch: async (input: ReconcileInput): Promise<BatchSnapshot | undefined> => {
        this.reconciles++;
        const yarn = this.scriptFor(input.batchName).yarnOutcome;
        return yarn ? { batchName: input.batchName, state: yarn, source: 'yarn', log: [`YARN: final status ${yarn}`] } : undefined;
      },
      killBatch: async (ref: BatchRef): Promise<KillResult> => {
        this.kills.push(ref.batchName);
        if (this.scriptFor(ref.batchName).holdKill) {
          this.markKillInFlight();
          await untilReleasedOrCancelled((r) => (this.releaseKillCall = r));
        }
        if (this.scriptFor(ref.batchName).killUnreachable) {
          throw ApplicationFailure.create({ type: ErrorType.LivyUnreachable, message: 'fake: Livy did not answer the kill' });
        }
        const batch = this.batches.get(ref.batchName);
        if (!batch) return { stateBefore: 'gone', deleted: false };
        const state = this.stateAt(batch, this.clock.now());
        if (['success', 'dead', 'killed'].includes(state)) return { stateBefore: state, deleted: false, log: this.snapshot(batch, state).log };
        this.deletes.push(batch.name);
        this.livyCalls.push(`DELETE ${batch.name}`);
        this.batches.delete(batch.name);
        return { stateBefore: state, deleted: true };
      },
    };
  }
}
