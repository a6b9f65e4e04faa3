import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SubmissionRateLimiter } from '../../activities/clusters/rateLimiter';

/** Starts take() and records when (fake time) it resolved. */
function track(limiter: SubmissionRateLimiter, clusterId: string) {
  const t = { at: undefined as number | undefined };
  void limiter.take(clusterId).then(() => (t.at = Date.now()));
  return t;
}

describe('SubmissionRateLimiter', () => {
  let start: number;
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
    start = Date.now();
  });
  afterEach(() => vi.useRealTimers());

  it('lets a burst out at once, then the next waits about 1/perSecond', async () => {
    const limiter = new SubmissionRateLimiter({ perSecond: 2, burst: 3 });
    const burst = [track(limiter, 'c1'), track(limiter, 'c1'), track(limiter, 'c1')];
    const next = track(limiter, 'c1');
    await vi.advanceTimersByTimeAsync(0);
    expect(burst.map((b) => b.at)).toEqual([start, start, start]);
    expect(next.at).toBeUndefined();
    await vi.advanceTimersByTimeAsync(499);
    expect(next.at).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(next.at).toBe(start + 500);
  });

  it('spaces queued submissions at the rate, never faster', async () => {
    const limiter = new SubmissionRateLimiter({ perSecond: 2, burst: 1 });
    const queued = Array.from({ length: 5 }, () => track(limiter, 'c1'));
    await vi.advanceTimersByTimeAsync(5_000);
    const times = queued.map((q) => q.at! - start).sort((a, b) => a - b);
    expect(times).toEqual([0, 500, 1000, 1500, 2000]);
  });

  it('rounds a fractional wait up, so the token is there when it wakes', async () => {
    const limiter = new SubmissionRateLimiter({ perSecond: 3, burst: 1 });
    await limiter.take('c1');
    const timers = vi.spyOn(globalThis, 'setTimeout');
    const next = track(limiter, 'c1');
    await vi.advanceTimersByTimeAsync(333);
    expect(next.at).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(next.at).toBe(start + 334);
    // one timer: it did not wake early and spin
    expect(timers).toHaveBeenCalledTimes(1);
    timers.mockRestore();
  });

  it('refills while idle, but never above the burst', async () => {
    const limiter = new SubmissionRateLimiter({ perSecond: 10, burst: 2 });
    await limiter.take('c1');
    await limiter.take('c1');
    // a long idle spell: the bucket is full again, holding only `burst` tokens
    vi.advanceTimersByTime(60_000);
    const t0 = Date.now();
    const after = [track(limiter, 'c1'), track(limiter, 'c1'), track(limiter, 'c1')];
    await vi.advanceTimersByTimeAsync(0);
    expect(after.map((a) => a.at)).toEqual([t0, t0, undefined]);
    await vi.advanceTimersByTimeAsync(100);
    expect(after[2]!.at).toBe(t0 + 100);
  });

  it('partial refill: half a period after running dry, the next waits only the other half', async () => {
    const limiter = new SubmissionRateLimiter({ perSecond: 1, burst: 1 });
    await limiter.take('c1');
    vi.advanceTimersByTime(600);
    const next = track(limiter, 'c1');
    await vi.advanceTimersByTimeAsync(399);
    expect(next.at).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(next.at).toBe(start + 1000);
  });

  it('keeps one bucket per cluster: an exhausted cluster does not hold up another', async () => {
    const limiter = new SubmissionRateLimiter({ perSecond: 1, burst: 1 });
    const a1 = track(limiter, 'a');
    const a2 = track(limiter, 'a');
    const b1 = track(limiter, 'b');
    const b2 = track(limiter, 'b');
    await vi.advanceTimersByTimeAsync(0);
    expect([a1.at, b1.at]).toEqual([start, start]);
    expect([a2.at, b2.at]).toEqual([undefined, undefined]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect([a2.at, b2.at]).toEqual([start + 1000, start + 1000]);
  });
});

describe('SubmissionRateLimiter with real timers', () => {
  it('waits out the interval (a few ms) when the bucket is empty', async () => {
    const limiter = new SubmissionRateLimiter({ perSecond: 500, burst: 1 });
    const t0 = Date.now();
    await limiter.take('c1');
    await limiter.take('c1');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2);
  });
});
