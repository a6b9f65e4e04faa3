import { describe, expect, it } from 'vitest';
import { CircuitBreakers } from '../../activities/clusters/breaker';

/** A clock the test moves by hand. */
function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

function breakers(options = { failureThreshold: 3, coolDownMs: 60_000 }) {
  const c = clock();
  return { c, b: new CircuitBreakers(options, c.now) };
}

describe('CircuitBreakers', () => {
  it('starts closed, with no reopening time', () => {
    const { b } = breakers();
    expect(b.position('c1')).toBe('closed');
    expect(b.reopensAt('c1')).toBeUndefined();
  });

  it('opens only after failureThreshold consecutive failures', () => {
    const { b, c } = breakers();
    b.recordFailure('c1');
    b.recordFailure('c1');
    expect(b.position('c1')).toBe('closed');
    expect(b.reopensAt('c1')).toBeUndefined();
    c.advance(10);
    b.recordFailure('c1');
    expect(b.position('c1')).toBe('open');
    // the cool-down runs from the failure that opened it
    expect(b.reopensAt('c1')).toBe(c.now() + 60_000);
  });

  it('a success resets the count: failures must be consecutive', () => {
    const { b } = breakers();
    b.recordFailure('c1');
    b.recordFailure('c1');
    b.recordSuccess('c1');
    b.recordFailure('c1');
    b.recordFailure('c1');
    expect(b.position('c1')).toBe('closed');
    b.recordFailure('c1');
    expect(b.position('c1')).toBe('open');
  });

  it('stays open for the whole cool-down, then is half-open', () => {
    const { b, c } = breakers();
    for (let i = 0; i < 3; i++) b.recordFailure('c1');
    const reopensAt = b.reopensAt('c1')!;
    c.advance(59_999);
    expect(b.position('c1')).toBe('open');
    c.advance(1);
    expect(c.now()).toBe(reopensAt);
    expect(b.position('c1')).toBe('half-open');
    c.advance(3_600_000);
    expect(b.position('c1')).toBe('half-open');
  });

  it('a success while half-open closes it', () => {
    const { b, c } = breakers();
    for (let i = 0; i < 3; i++) b.recordFailure('c1');
    c.advance(60_000);
    expect(b.position('c1')).toBe('half-open');
    b.recordSuccess('c1');
    expect(b.position('c1')).toBe('closed');
    expect(b.reopensAt('c1')).toBeUndefined();
    // and it takes the full threshold again to open it
    b.recordFailure('c1');
    b.recordFailure('c1');
    expect(b.position('c1')).toBe('closed');
  });

  it('a single failure while half-open re-opens it at once, with a fresh cool-down', () => {
    const { b, c } = breakers();
    for (let i = 0; i < 3; i++) b.recordFailure('c1');
    c.advance(60_500);
    expect(b.position('c1')).toBe('half-open');
    b.recordFailure('c1');
    expect(b.position('c1')).toBe('open');
    expect(b.reopensAt('c1')).toBe(c.now() + 60_000);
    c.advance(59_999);
    expect(b.position('c1')).toBe('open');
    c.advance(1);
    expect(b.position('c1')).toBe('half-open');
  });

  it('keeps one breaker per cluster', () => {
    const { b } = breakers();
    for (let i = 0; i < 3; i++) b.recordFailure('c1');
    b.recordFailure('c2');
    expect(b.position('c1')).toBe('open');
    expect(b.position('c2')).toBe('closed');
    expect(b.reopensAt('c2')).toBeUndefined();
    b.recordSuccess('c2');
    expect(b.position('c1')).toBe('open');
  });

  it('honours its options: threshold 1 opens on the first failure', () => {
    const { b, c } = breakers({ failureThreshold: 1, coolDownMs: 500 });
    b.recordFailure('c1');
    expect(b.position('c1')).toBe('open');
    expect(b.reopensAt('c1')).toBe(c.now() + 500);
    c.advance(500);
    expect(b.position('c1')).toBe('half-open');
  });

  it('uses Date.now when no clock is given', () => {
    const b = new CircuitBreakers({ failureThreshold: 1, coolDownMs: 60_000 });
    const before = Date.now();
    b.recordFailure('c1');
    expect(b.position('c1')).toBe('open');
    expect(b.reopensAt('c1')).toBeGreaterThanOrEqual(before + 60_000);
    expect(b.reopensAt('c1')).toBeLessThanOrEqual(Date.now() + 60_000);
  });
});
