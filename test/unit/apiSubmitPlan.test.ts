/** The 1,000-submit check's plan and verdict (bench/apiSubmitPlan.ts): the rules must catch what they claim to. */
import { describe, expect, it } from 'vitest';
import { judgeBatches, judgeKeys, keysSentConcurrently, makePlan, type Outcome } from '../../bench/apiSubmitPlan';
import { seeded } from '../support/seededRandom';

const size = { keys: 250, sendsPerKey: 4, clients: 20 };

describe('makePlan', () => {
  const plan = makePlan(size, 'run1', seeded(7));

  it('sends every key sendsPerKey times, the same number of sends per client', () => {
    const all = plan.queues.flat();
    expect(all).toHaveLength(1000);
    expect(plan.queues.map((q) => q.length)).toEqual(new Array(20).fill(50));
    const perKey = new Map<string, number>();
    for (const s of all) perKey.set(s.key, (perKey.get(s.key) ?? 0) + 1);
    expect(perKey.size).toBe(250);
    expect([...perKey.values()].every((n) => n === 4)).toBe(true);
  });

  it('puts a together key in one slot on four different clients', () => {
    const together = plan.keys.filter((_, i) => i % 2 === 0);
    expect(together).toHaveLength(125);
    for (const key of together) {
      const cells = plan.queues.flatMap((q, client) => q.flatMap((s, slot) => (s.key === key ? [{ client, slot }] : [])));
      expect(new Set(cells.map((c) => c.slot)).size, key).toBe(1);
      expect(new Set(cells.map((c) => c.client)).size, key).toBe(4);
    }
  });
});

function answers(key: string, statuses: number[], jobId = `job-${key}`): Outcome[] {
  return statuses.map((status, i) => ({
    key,
    client: i,
    startMs: i * 10,
    endMs: i * 10 + 5,
    status,
    jobId,
    created: status === 201,
    rerun: false,
  }));
}

describe('judgeKeys', () => {
  const plan = { size: { keys: 1, sendsPerKey: 4, clients: 4 }, keys: ['k'], queues: [] };
  const judge = (outcomes: Outcome[]) => judgeKeys(plan, outcomes, (k) => `job-${k}`)[0]!.problems;

  it('passes one 201 and three 200s naming the key job', () => {
    expect(judge(answers('k', [201, 200, 200, 200]))).toEqual([]);
  });

  it('flags two 201s (two jobs, or a new run, for one key)', () => {
    expect(judge(answers('k', [201, 201, 200, 200]))).toContain('2 answers 201 (want exactly 1)');
  });

  it('flags an answer that is neither 200 nor 201, with its detail', () => {
    const outcomes = answers('k', [201, 200, 200, 429]);
    outcomes[3]!.error = 'rate limited';
    expect(judge(outcomes)).toContain('answer 429: rate limited');
  });

  it('flags another job ID, and a 200 that says created', () => {
    const outcomes = answers('k', [201, 200, 200, 200]);
    outcomes[1]!.jobId = 'job-other';
    outcomes[2]!.created = true;
    expect(judge(outcomes)).toEqual(['answer 200 with created=true rerun=false', 'job IDs job-k, job-other (want job-k)']);
  });

  it('flags a missing answer', () => {
    expect(judge(answers('k', [201, 200, 200]))).toContain('3 answers for 4 sends');
  });
});

describe('judgeBatches', () => {
  it('wants exactly one POST per batch name and none for names no key has', () => {
    const posts = new Map([
      ['a-a1', 1],
      ['b-a1', 2],
      ['stray-a1', 1],
    ]);
    expect(judgeBatches(['a-a1', 'b-a1', 'c-a1'], posts)).toEqual([
      'b-a1: 2 POSTs (want 1)',
      'c-a1: 0 POSTs (want 1)',
      'stray-a1: 1 POSTs for a batch no key names',
    ]);
  });
});

describe('keysSentConcurrently', () => {
  it('counts keys with two sends in flight at once', () => {
    const overlapping: Outcome[] = [
      { key: 'x', client: 0, startMs: 0, endMs: 10, status: 201 },
      { key: 'x', client: 1, startMs: 5, endMs: 12, status: 200 },
    ];
    const sequential: Outcome[] = [
      { key: 'y', client: 0, startMs: 0, endMs: 10, status: 201 },
      { key: 'y', client: 1, startMs: 11, endMs: 12, status: 200 },
    ];
    expect(keysSentConcurrently([...overlapping, ...sequential])).toBe(1);
  });
});
