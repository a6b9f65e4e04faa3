import { describe, expect, it } from 'vitest';
import { backoffSeconds } from '../../workflows/backoff';
import { seeded } from '../support/seededRandom';


const almostOne = () => 1 - Number.EPSILON;

describe('backoffSeconds', () => {
  it('grows exponentially from initialBackoff: the ceiling doubles per retry', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffSeconds(n, 30, 100_000, almostOne))).toEqual([30, 60, 120, 240, 480]);
    expect([1, 2, 3].map((n) => backoffSeconds(n, 30, 100_000, () => 0.5))).toEqual([15, 30, 60]);
  });

  it('is capped at maxBackoff', () => {
    expect(backoffSeconds(5, 30, 600, almostOne)).toBe(480);
    expect(backoffSeconds(6, 30, 600, almostOne)).toBe(600);
    expect(backoffSeconds(50, 30, 600, almostOne)).toBe(600);
    // huge retry numbers neither overflow nor escape the cap
    expect(backoffSeconds(10_000, 30, 600, almostOne)).toBe(600);
    expect(backoffSeconds(Number.MAX_SAFE_INTEGER, 1, 86_400, almostOne)).toBe(86_400);
  });

  it('uses full jitter: anywhere in [0, ceiling], spread across the range', () => {
    const random = seeded(1);
    const delays = Array.from({ length: 2000 }, () => backoffSeconds(4, 30, 600, random));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...delays)).toBeLessThanOrEqual(240);
    // full jitter, not "half" or "equal" jitter: small and large delays both occur
    expect(delays.some((d) => d < 24)).toBe(true);
    expect(delays.some((d) => d > 216)).toBe(true);
    const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
    expect(mean).toBeGreaterThan(100);
    expect(mean).toBeLessThan(140);
  });

  it('is never under one second, even when the random source gives 0', () => {
    expect(backoffSeconds(1, 30, 600, () => 0)).toBe(1);
    expect(backoffSeconds(1, 1, 1, () => 0.4)).toBe(1);
    for (const n of [0, -3, 1, 2]) expect(backoffSeconds(n, 1, 600, () => 0.01)).toBeGreaterThanOrEqual(1);
  });

  it('treats retry numbers below 1 as the first retry', () => {
    expect(backoffSeconds(0, 30, 600, almostOne)).toBe(30);
    expect(backoffSeconds(-5, 30, 600, almostOne)).toBe(30);
  });

  it('returns whole seconds', () => {
    const random = seeded(9);
    for (let n = 1; n <= 12; n++) expect(Number.isInteger(backoffSeconds(n, 7, 1000, random))).toBe(true);
  });

  it('is deterministic for a given random source (replay computes the same delays)', () => {
    const run = (seed: number) => {
      const random = seeded(seed);
      return Array.from({ length: 10 }, (_, i) => backoffSeconds(i + 1, 30, 600, random));
    };
    expect(run(123)).toEqual(run(123));
    expect(run(123)).not.toEqual(run(124));
  });
});
