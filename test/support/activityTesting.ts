/** Helpers shared by the tests that run activities and the Livy client against the simulator. */
import type { Info } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { expect } from 'vitest';
import type { LivySimulator } from '../../dev/livy-sim';

/**
 * Activity info as a worker would give it to an attempt that starts now: scheduled now (first
 * and current attempt), one minute start-to-close. MockActivityEnvironment's own defaults date
 * the schedule at epoch 1 ms, so an activity that reads its deadline would find it long past.
 */
export function activityInfo(overrides: Partial<Info> = {}): Partial<Info> {
  const now = Date.now();
  return { scheduledTimestampMs: now, currentAttemptScheduledTimestampMs: now, startToCloseTimeoutMs: 60_000, ...overrides };
}

/**
 * The mock worker's logger: the failures tests provoke on purpose (Temporal failures, cancellations)
 * stay off stderr; anything else is one line, without a stack.
 */
const quietLogger = new DefaultLogger('WARN', (entry) => {
  const error = entry.meta?.error;
  if (entry.message === 'Activity failed' && (error instanceof ApplicationFailure || error instanceof CancelledFailure)) return;
  process.stderr.write(`[${entry.level}] ${entry.message}${error instanceof Error ? `: ${error.name}: ${error.message}` : ''}\n`);
});

/** A fresh mock context with realistic timestamps (see activityInfo); keep it to cancel the activity or watch its heartbeats. */
export function activityEnvironment(overrides: Partial<Info> = {}): MockActivityEnvironment {
  return new MockActivityEnvironment(activityInfo(overrides), { logger: quietLogger });
}

/** Runs an activity in a fresh mock context (a cancelled context would stay cancelled). */
export function runActivity<A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  return activityEnvironment().run(fn, ...args);
}

/** The error the promise rejects with, checked to be an instance of `type` (fails if it resolves). */
export async function rejection<E>(promise: Promise<unknown>, type: abstract new (...args: never[]) => E): Promise<E> {
  const err = await promise.then(
    (value) => {
      throw new Error(`expected a ${type.name}, got ${JSON.stringify(value)}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(type);
  return err as E;
}

/** Forces a simulated batch's outcome now (by id or name); it must still have been running. */
export function finishBatch(sim: LivySimulator, idOrName: number | string, state: 'success' | 'dead' | 'killed' = 'success'): void {
  expect(sim.finish(idOrName, state)).toBe(true);
}
