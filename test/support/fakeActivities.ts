/**
 * Fake activities for workflow tests: a scripted cluster whose batches move through Livy's states
 * on a virtual clock. The time-skipping server cannot skip time while an activity is running, so
 * batch time runs fast inside the fake (a 24-hour job takes a fraction of a second) while the
 * workflow's own timers (backoff, queue timeout) are skipped by the server.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import {
  ErrorType,
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

export interface AttemptScript {
  /** How the batch ends; 'lost' makes Livy forget it mid-run. */
  outcome?: 'success' | 'dead' | 'killed' | 'lost';
  startingMs?: number;
  runningMs?: number;
  /** Submission fails with this error type instead of creating a batch. */
  submitError?: string;
  /** Submission blocks until release() is called (a POST in flight). */
  holdSubmit?: boolean;
}

interface FakeBatch {
  id: number;
  name: string;
  createdAt: number;
  script: AttemptScript;
  killedAt?: number;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** `speed` virtual milliseconds pass per real millisecond. */
export function virtualClock(speed: number): Clock {
  const origin = Date.now();
  return {
    now: () => origin + (Date.now() - origin) * speed,
    sleep: (ms) => new Promise((r) => setTimeout(r, Math.ceil(ms / speed))),
  };
}

/** One virtual hour per 20 real milliseconds. */
export const FAST = 180_000;

export class FakeCluster {
  readonly posts: string[] = [];
  readonly deletes: string[] = [];
  readonly routes: RouteInput[] = [];
  private readonly batches = new Map<string, FakeBatch>();
  private nextId = 0;
  private releaseSubmit?: () => void;
  /** Resolves once a held submission is in flight. */
  submitInFlight: Promise<void>;
  private markInFlight!: () => void;
  healthy = true;

  constructor(
    private readonly clock: Clock,
    private readonly scripts: AttemptScript[],
  ) {
    this.submitInFlight = new Promise((r) => (this.markInFlight = r));
  }

  release(): void {
    this.releaseSubmit?.();
  }

  private scriptFor(name: string): AttemptScript {
    const n = Number(/-a(\d+)$/.exec(name)?.[1] ?? 1);
    return this.scripts[Math.min(n, this.scripts.length) - 1] ?? {};
  }

  private stateAt(batch: FakeBatch, now: number): string {
    const s = batch.script;
    if (batch.killedAt !== undefined) return 'killed';
    const elapsed = now - batch.createdAt;
    if (elapsed < (s.startingMs ?? 1000)) return 'starting';
    if (elapsed < (s.startingMs ?? 1000) + (s.runningMs ?? 60_000)) return 'running';
    return s.outcome === 'lost' ? 'lost' : (s.outcome ?? 'success');
  }

  private nextChangeAt(batch: FakeBatch, now: number): number {
    const s = batch.script;
    const runningAt = batch.createdAt + (s.startingMs ?? 1000);
    return now < runningAt ? runningAt : runningAt + (s.runningMs ?? 60_000);
  }

  private snapshot(batch: FakeBatch, state: string): BatchSnapshot {
    const log = state === 'dead' ? ['stdout: working', 'YARN Diagnostics: User application exited with status 1'] : ['stdout: working'];
    return { batchId: batch.id, batchName: batch.name, state, appId: `application_1_${batch.id}`, log };
  }

  activities(): ShaleActivities {
    return {
      routeJob: async (input: RouteInput): Promise<ClusterChoice> => {
        this.routes.push(input);
        if (!this.healthy) throw ApplicationFailure.create({ type: ErrorType.NoHealthyCluster, message: 'fake cluster down' });
        return { cluster: 'fake', livyUrl: 'http://fake:8998', reason: 'the only cluster' };
      },
      submitBatch: async (input: SubmitInput): Promise<SubmitResult> => {
        const script = this.scriptFor(input.batchName);
        if (script.holdSubmit) {
          this.markInFlight();
          await new Promise<void>((r) => (this.releaseSubmit = r));
        }
        if (script.submitError) throw ApplicationFailure.create({ type: script.submitError, message: `fake ${script.submitError}` });
        const existing = this.batches.get(input.batchName);
        if (existing) return { ...this.snapshot(existing, this.stateAt(existing, this.clock.now())), adopted: true };
        this.posts.push(input.batchName);
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
          if (!batch) throw ApplicationFailure.create({ type: ErrorType.BatchLost, message: 'fake: no such batch', nonRetryable: true });
          const state = this.stateAt(batch, now);
          if (state === 'lost') throw ApplicationFailure.create({ type: ErrorType.BatchLost, message: 'fake: Livy forgot the batch', nonRetryable: true });
          if (state !== input.knownState || now >= windowEnd) return this.snapshot(batch, state);
          const until = Math.min(this.nextChangeAt(batch, now), windowEnd);
          Context.current().heartbeat();
          await Promise.race([
            this.clock.sleep(Math.max(1, until - now)),
            new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true })),
          ]);
        }
      },
      killBatch: async (ref: BatchRef): Promise<KillResult> => {
        const batch = this.batches.get(ref.batchName);
        if (!batch || batch.id !== ref.batchId) return { stateBefore: 'gone', deleted: false };
        const state = this.stateAt(batch, this.clock.now());
        if (['success', 'dead', 'killed'].includes(state)) return { stateBefore: state, deleted: false, log: ['done'] };
        this.deletes.push(batch.name);
        this.batches.delete(batch.name);
        return { stateBefore: state, deleted: true };
      },
    };
  }
}
