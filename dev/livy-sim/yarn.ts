/**
 * The YARN side of a simulated cluster: the applications its batches run as. The ResourceManager
 * outlives Livy's memory of a batch (retain expiry, DELETE, a restart without state), so an app
 * stays known here, with its final state, after Livy forgot it; an app whose Livy crashed keeps
 * running here to its end.
 */
import { TimerSet } from './timers.js';
import type { TerminalState } from './types.js';

export type YarnState = 'NEW' | 'NEW_SAVING' | 'SUBMITTED' | 'ACCEPTED' | 'RUNNING' | 'FINISHED' | 'FAILED' | 'KILLED';
export type YarnFinalStatus = 'UNDEFINED' | 'SUCCEEDED' | 'FAILED' | 'KILLED';

export interface YarnApp {
  readonly id: string;
  readonly name: string;
  readonly user: string;
  readonly queue: string;
  /** Lowercased, as YARN stores them. */
  readonly tags: readonly string[];
  readonly startedTime: number;
  state: YarnState;
  finalStatus: YarnFinalStatus;
  diagnostics: string;
  finishedTime: number;
  /** Pending start or end of an app no Livy tracks any more. */
  timers: NodeJS.Timeout[];
}

export const KILLED_DIAGNOSTICS = 'Application killed by user.';

const FINAL: ReadonlySet<YarnState> = new Set(['FINISHED', 'FAILED', 'KILLED']);

export function isFinalYarnState(state: YarnState): boolean {
  return FINAL.has(state);
}

/** What a batch outcome looks like to YARN: Spark's AM unregisters FAILED on an app failure. */
function finalOf(outcome: TerminalState): { state: YarnState; finalStatus: YarnFinalStatus } {
  if (outcome === 'success') return { state: 'FINISHED', finalStatus: 'SUCCEEDED' };
  if (outcome === 'killed') return { state: 'KILLED', finalStatus: 'KILLED' };
  return { state: 'FINISHED', finalStatus: 'FAILED' };
}

export class YarnCluster {
  private readonly apps = new Map<string, YarnApp>();
  private readonly timers = new TimerSet();
  private counter = 0;
  private startedAt: number;

  constructor(private readonly now: () => number = Date.now) {
    this.startedAt = now();
  }

  /** YARN's cluster timestamp, the middle part of every application id. */
  get clusterId(): number {
    return this.startedAt;
  }

  submit(opts: { name: string; user: string | null; queue: string | null; tags: string[] }): YarnApp {
    const id = `application_${this.startedAt}_${String(++this.counter).padStart(4, '0')}`;
    const app: YarnApp = {
      id,
      name: opts.name,
      user: opts.user ?? 'livy',
      queue: opts.queue ?? 'default',
      tags: [...new Set(opts.tags.map((t) => t.trim().toLowerCase()).filter((t) => t !== ''))],
      startedTime: this.now(),
      state: 'ACCEPTED',
      finalStatus: 'UNDEFINED',
      diagnostics: '',
      finishedTime: 0,
      timers: [],
    };
    this.apps.set(id, app);
    return app;
  }

  run(app: YarnApp): void {
    if (!isFinalYarnState(app.state)) app.state = 'RUNNING';
  }

  finish(app: YarnApp, outcome: TerminalState, diagnostics = ''): void {
    if (isFinalYarnState(app.state)) return;
    for (const timer of app.timers) this.timers.cancel(timer);
    app.timers = [];
    Object.assign(app, finalOf(outcome), { diagnostics, finishedTime: this.now() });
  }

  kill(app: YarnApp): void {
    this.finish(app, 'killed', KILLED_DIAGNOSTICS);
  }

  /** An app whose Livy forgot it without killing it (a crash) runs on by itself. */
  runDetached(app: YarnApp, opts: { startsInMs: number; endsInMs: number; outcome: TerminalState; diagnostics: string }): void {
    if (isFinalYarnState(app.state)) return;
    if (app.state !== 'RUNNING') app.timers.push(this.timers.after(opts.startsInMs, () => this.run(app)));
    app.timers.push(this.timers.after(opts.endsInMs, () => this.finish(app, opts.outcome, opts.diagnostics)));
  }

  byId(id: string): YarnApp | undefined {
    return this.apps.get(id);
  }

  /** Apps carrying any of the tags (compared lowercased), oldest first. */
  withAnyTag(tags: string[]): YarnApp[] {
    const wanted = new Set(tags.map((t) => t.trim().toLowerCase()));
    return [...this.apps.values()].filter((app) => app.tags.some((t) => wanted.has(t)));
  }

  all(): YarnApp[] {
    return [...this.apps.values()];
  }

  /** A new cluster: no apps, a new cluster timestamp. */
  reset(): void {
    this.timers.cancelAll();
    this.apps.clear();
    this.counter = 0;
    this.startedAt = this.now();
  }
}
