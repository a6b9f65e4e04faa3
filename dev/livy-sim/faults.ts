/** Injected faults for the batch API: latency, 500s, dropped connections and lost POST answers. */
import type { Faults } from './types.js';

export const NO_FAULTS: Faults = { latencyMs: 0, errorRate: 0, errorStatus: 500, dropRate: 0, postAnswerDelayMs: 0 };

export const SIMULATED_FAILURE = 'simulated failure';

export class FaultsError extends Error {}

export type FaultDecision = 'drop' | 'error' | 'pass';

function checkMs(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new FaultsError(`${field} must be a non-negative number`);
  }
  return value;
}

function checkRate(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new FaultsError(`${field} must be a number between 0 and 1`);
  }
  return value;
}

function checkStatus(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 400 || value > 599) {
    throw new FaultsError(`${field} must be an HTTP error status (400-599)`);
  }
  return value;
}

export class FaultState {
  private current: Faults = { ...NO_FAULTS };

  constructor(private readonly random: () => number = Math.random) {}

  get(): Faults {
    return { ...this.current };
  }

  /** Merges a partial update; throws FaultsError (nothing changed) on a bad value or unknown key. */
  set(update: Partial<Faults> | Record<string, unknown>): Faults {
    const next = { ...this.current };
    for (const [key, value] of Object.entries(update)) {
      if (value === undefined) continue;
      switch (key) {
        case 'latencyMs':
          next.latencyMs = checkMs(key, value);
          break;
        case 'errorRate':
          next.errorRate = checkRate(key, value);
          break;
        case 'errorStatus':
          next.errorStatus = checkStatus(key, value);
          break;
        case 'dropRate':
          next.dropRate = checkRate(key, value);
          break;
        case 'postAnswerDelayMs':
          next.postAnswerDelayMs = checkMs(key, value);
          break;
        default:
          throw new FaultsError(`unknown fault '${key}' (known: latencyMs, errorRate, errorStatus, dropRate, postAnswerDelayMs)`);
      }
    }
    this.current = next;
    return this.get();
  }

  /** What happens to one batch API request (after its latency): dropped, failed or served. */
  decide(): FaultDecision {
    const { dropRate, errorRate } = this.current;
    if (dropRate > 0 && this.random() < dropRate) return 'drop';
    if (errorRate > 0 && this.random() < errorRate) return 'error';
    return 'pass';
  }
}
