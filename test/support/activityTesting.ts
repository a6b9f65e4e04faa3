/** Helpers shared by the tests that run activities and the Livy client against the simulator. */
import { MockActivityEnvironment } from '@temporalio/testing';
import { expect } from 'vitest';
import type { LivySimulator } from '../../dev/livy-sim';

/** Runs an activity in a fresh mock context (a cancelled context would stay cancelled). */
export function runActivity<A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  return new MockActivityEnvironment().run(fn, ...args);
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

/** Forces a simulated batch's outcome now; it must still have been running. */
export function finishBatch(sim: LivySimulator, id: number, state: 'success' | 'dead' | 'killed' = 'success'): void {
  expect(sim.finish(id, state)).toBe(true);
}
