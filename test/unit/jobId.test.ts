import { describe, expect, it } from 'vitest';
import { attemptName, generatedJobId, jobIdFromKey, MAX_JOB_ID_LENGTH } from '../../contract';
import { seeded } from '../support/seededRandom';

/** Workflow IDs, Livy batch names and YARN tags: lowercase ASCII letters, digits and dashes. */
const SAFE = /^[a-z][a-z0-9-]*[a-z0-9]$/;


describe('jobIdFromKey', () => {
  it('is deterministic: the same team and key give the same ID', () => {
    expect(jobIdFromKey('data-eng', 'daily-report/2024-01-01')).toBe(jobIdFromKey('data-eng', 'daily-report/2024-01-01'));
  });

  it('keeps a readable slug of the key, then a hash', () => {
    expect(jobIdFromKey('data-eng', 'Daily Report/2024-01-01')).toMatch(/^data-eng-daily-report-2024-01-01-[0-9a-f]{10}$/);
  });

  it('is lowercase and safe whatever the key holds', () => {
    const keys = [
      'UPPER',
      'dag=daily;task=report;run=scheduled__2024-01-01T00:00:00+00:00',
      '!!!',
      '---x---',
      '~',
      'a'.repeat(256),
      '"quoted" <tags> & \\back\\slash',
      '../../etc/passwd',
    ];
    for (const key of keys) {
      const id = jobIdFromKey('team-1', key);
      expect(id).toMatch(SAFE);
      expect(id).toBe(id.toLowerCase());
      expect(id.startsWith('team-1-')).toBe(true);
    }
    // a key with nothing sluggable is just team + hash
    expect(jobIdFromKey('team-1', '!!!')).toMatch(/^team-1-[0-9a-f]{10}$/);
  });

  it('gives distinct IDs to keys that differ only in case or punctuation', () => {
    const ids = ['Run-1', 'run-1', 'RUN-1', 'run_1', 'run 1', 'run--1'].map((k) => jobIdFromKey('data', k));
    expect(new Set(ids).size).toBe(ids.length);
    // the slugs are the same: only the hash of the raw key tells them apart
    expect(new Set(ids.map((id) => id.slice(0, -11))).size).toBe(1);
  });

  it('gives distinct IDs to the same key in different teams', () => {
    expect(jobIdFromKey('team-a', 'k')).not.toBe(jobIdFromKey('team-b', 'k'));
  });

  it('keeps every attempt name within YARN’s 100-character tag limit, even for the longest team and key', () => {
    const team = 'a'.repeat(40);
    const id = jobIdFromKey(team, 'k'.repeat(256));
    expect(id.length).toBeLessThanOrEqual(MAX_JOB_ID_LENGTH);
    expect(attemptName(id, 31).length).toBeLessThanOrEqual(100);
    expect(attemptName(id, 99).length).toBeLessThanOrEqual(100);
    expect(id).toMatch(SAFE);
    // short teams keep the usual 48-character slug
    expect(jobIdFromKey('ab', 'k'.repeat(256))).toBe(`ab-${'k'.repeat(48)}-${jobIdFromKey('ab', 'k'.repeat(256)).slice(-10)}`);
  });
});

describe('generatedJobId', () => {
  it('is team-<time>-<random> with a fixed-width time part', () => {
    const id = generatedJobId('data-eng', Date.UTC(2024, 0, 1), seeded(1));
    expect(id).toMatch(/^data-eng-[0-9a-z]{9}-[0-9a-z]{5}$/);
    expect(id).toMatch(SAFE);
    expect(generatedJobId('data-eng', 5, () => 0)).toBe('data-eng-000000005-00000');
  });

  it('is deterministic for a given clock and random source', () => {
    expect(generatedJobId('t1', 1_700_000_000_000, seeded(7))).toBe(generatedJobId('t1', 1_700_000_000_000, seeded(7)));
    expect(generatedJobId('t1', 1_700_000_000_000, seeded(7))).not.toBe(generatedJobId('t1', 1_700_000_000_000, seeded(8)));
  });

  it('sorts by creation time, across digit-count changes and whatever the random part', () => {
    const random = seeded(42);
    const times = [0, 1, 35, 36, 1_000, 1_699_999_999_999, 1_700_000_000_000, 1_700_000_000_001, Date.UTC(2100, 0, 1)];
    const ids = times.map((t) => generatedJobId('data', t, random));
    expect([...ids].sort()).toEqual(ids);
    // the largest random suffix at an earlier ms still sorts before the smallest at a later ms
    expect(generatedJobId('data', 1000, () => 0.9999) < generatedJobId('data', 1001, () => 0)).toBe(true);
  });

  it('spreads IDs made in the same millisecond', () => {
    const random = seeded(3);
    const ids = Array.from({ length: 1000 }, () => generatedJobId('data', 1_700_000_000_000, random));
    expect(new Set(ids).size).toBeGreaterThan(990);
  });
});

describe('attemptName', () => {
  it('is J-aN', () => {
    expect(attemptName('data-abc', 1)).toBe('data-abc-a1');
    expect(attemptName('data-abc', 12)).toBe('data-abc-a12');
  });
});
