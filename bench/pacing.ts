/** Driving load at a steady rate, and waiting for conditions without sleeping blindly. */

/**
 * Calls `fn(i)` for i in 0..count-1 at `perSecond` (the i-th call starts at t0 + i/perSecond),
 * without waiting for earlier calls, at most `maxInFlight` at once. Resolves with every result.
 */
export async function paced<T>(count: number, perSecond: number, fn: (i: number) => Promise<T>, maxInFlight = 200): Promise<T[]> {
  const results: Promise<T>[] = [];
  const t0 = performance.now();
  let inFlight = 0;
  let freed: (() => void) | undefined;
  for (let i = 0; i < count; i++) {
    const due = t0 + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    while (inFlight >= maxInFlight) await new Promise<void>((r) => (freed = r));
    inFlight++;
    results.push(
      fn(i).finally(() => {
        inFlight--;
        freed?.();
      }),
    );
  }
  return Promise.all(results);
}

/** Runs `fn` over `items` with at most `concurrency` calls at once, as fast as they complete. */
export async function pool<T, R>(items: readonly T[], concurrency: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

/** Polls `probe` every `intervalMs` until it returns true; throws with `what` and the last detail after `timeoutMs`. */
export async function until(what: string, probe: () => Promise<boolean | string> | boolean | string, timeoutMs: number, intervalMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let detail = '';
  for (;;) {
    const answer = await probe();
    if (answer === true) return;
    if (typeof answer === 'string') detail = answer;
    if (Date.now() > deadline) throw new Error(`bench: timed out after ${timeoutMs} ms waiting for ${what}${detail ? ` (${detail})` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
