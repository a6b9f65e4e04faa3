/** A durable deadline (one Temporal timer) that can be raced against any number of activity calls. */
import { CancellationScope, sleep } from '@temporalio/workflow';

export interface Deadline {
  /** Resolves when the timer fires; never settles if the deadline is cleared or the job is cancelled. */
  readonly fired: Promise<'expired'>;
  clear(): void;
}

export function startDeadline(seconds: number | undefined): Deadline | undefined {
  if (seconds === undefined) return undefined;
  const scope = new CancellationScope();
  const fired = scope.run(() => sleep(Math.max(0, seconds) * 1000)).then(
    () => 'expired' as const,
    () => new Promise<'expired'>(() => undefined),
  );
  return { fired, clear: () => scope.cancel() };
}

export type Raced<T> = { expired: true; late?: T } | { expired: false; value: T };

/**
 * Runs `work` in its own cancellable scope; if the deadline fires first, cancels it and waits for it
 * to wind down (activities wait for their cancellation to complete), returning anything it still
 * produced as `late` (a submit whose POST was in flight). Cancellation of the enclosing scope
 * propagates as usual.
 */
export async function raceDeadline<T>(deadline: Deadline | undefined, work: () => Promise<T>): Promise<Raced<T>> {
  if (!deadline) return { expired: false, value: await work() };
  const scope = new CancellationScope();
  const running = scope.run(work);
  const winner = await Promise.race([running.then((value) => ({ value })), deadline.fired]);
  if (winner !== 'expired') return { expired: false, value: winner.value };
  scope.cancel();
  const late = await running.then(
    (value) => ({ value }),
    () => undefined,
  );
  return late ? { expired: true, late: late.value } : { expired: true };
}
