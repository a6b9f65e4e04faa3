/** How a simulated batch behaves, read from the `shale.sim.*` keys of its POSTed conf. */
import type { TerminalState } from './types.js';

export interface Behaviour {
  startingMs: number;
  durationMs: number;
  outcome: TerminalState;
  /**
   * A `dead` app that exits non-zero without an exception (`exit-nonzero`): it writes no error
   * line, so Livy's log ends with the `"\nstderr: "` marker (LIVY.md).
   */
  exitsSilently: boolean;
  /** Lines the app prints over its run, numbered from 1. */
  logLines: number;
}

export interface BehaviourDefaults {
  startingMs: number;
  durationMs: number;
}

export const DEFAULT_LOG_LINES = 20;

export const CONF_KEYS = {
  durationMs: 'shale.sim.durationMs',
  outcome: 'shale.sim.outcome',
  outcomes: 'shale.sim.outcomes',
  logLines: 'shale.sim.logLines',
  startingMs: 'shale.sim.startingMs',
} as const;

/** What `shale.sim.outcome(s)` may say: a terminal state, or `exit-nonzero` (dead, no error line). */
type Outcome = TerminalState | 'exit-nonzero';

const OUTCOMES: readonly Outcome[] = ['success', 'dead', 'killed', 'exit-nonzero'];

/** Thrown for a `shale.sim.*` value the simulator cannot understand (a typo in a test). */
export class BehaviourError extends Error {}

/** Shale names attempts `<job>-a<N>`; anything else counts as attempt 1. */
export function attemptOf(name: string | null): number {
  const match = name === null ? null : /-a(\d+)$/.exec(name);
  const n = match ? Number(match[1]) : 1;
  return n >= 1 ? n : 1;
}

function readMs(conf: Record<string, string>, key: string, fallback: number): number {
  const raw = conf[key];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new BehaviourError(`${key} must be a non-negative number, got '${raw}'`);
  }
  return n;
}

function readCount(conf: Record<string, string>, key: string, fallback: number): number {
  const n = readMs(conf, key, fallback);
  if (!Number.isInteger(n)) throw new BehaviourError(`${key} must be an integer, got '${conf[key]}'`);
  return n;
}

function readOutcome(key: string, raw: string): Outcome {
  const value = raw.trim();
  if (!(OUTCOMES as readonly string[]).includes(value)) {
    throw new BehaviourError(`${key} must be one of ${OUTCOMES.join('|')}, got '${raw}'`);
  }
  return value as Outcome;
}

function pickOutcome(conf: Record<string, string>, name: string | null): Outcome {
  const list = conf[CONF_KEYS.outcomes];
  if (list !== undefined) {
    const entries = list.split(',').map((entry) => readOutcome(CONF_KEYS.outcomes, entry));
    const index = Math.min(attemptOf(name), entries.length) - 1;
    return entries[index] ?? 'success';
  }
  const single = conf[CONF_KEYS.outcome];
  return single === undefined ? 'success' : readOutcome(CONF_KEYS.outcome, single);
}

export function behaviourFromConf(
  conf: Record<string, string>,
  name: string | null,
  defaults: BehaviourDefaults,
): Behaviour {
  const outcome = pickOutcome(conf, name);
  return {
    startingMs: readMs(conf, CONF_KEYS.startingMs, defaults.startingMs),
    durationMs: readMs(conf, CONF_KEYS.durationMs, defaults.durationMs),
    outcome: outcome === 'exit-nonzero' ? 'dead' : outcome,
    exitsSilently: outcome === 'exit-nonzero',
    logLines: readCount(conf, CONF_KEYS.logLines, DEFAULT_LOG_LINES),
  };
}
