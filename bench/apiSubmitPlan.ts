/**
 * The 1,000-submit check's plan and verdict (bench/apiSubmits.ts), kept free of I/O so the rules
 * can be tested on their own: which client sends which key when, and what the answers must show.
 *
 * The plan is a grid: `clients` queues of `slots` sends each, every client working through its own
 * queue one request at a time. Half the keys are "together": their sends sit in the same slot of
 * different clients, so they leave at about the same moment and race each other for the job. The
 * others are "spread": their sends land in random cells, so most repeats arrive later, some after
 * the job has already finished.
 */
import { percentile } from './stats';

export interface PlanSize {
  keys: number;
  sendsPerKey: number;
  clients: number;
}

export interface Send {
  key: string;
  /** Which send of its key this is in the plan (not the order they arrive in). */
  copy: number;
  together: boolean;
}

/** `queues[c]` is what client c sends, in order. */
export interface Plan {
  size: PlanSize;
  keys: string[];
  queues: Send[][];
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

export function makePlan(size: PlanSize, runId: string, random: () => number): Plan {
  const { keys: keyCount, sendsPerKey, clients } = size;
  const total = keyCount * sendsPerKey;
  if (total % clients !== 0) throw new Error(`plan: ${total} sends do not split evenly over ${clients} clients`);
  if (sendsPerKey > clients) throw new Error(`plan: ${sendsPerKey} sends of one key need as many clients`);
  const slots = total / clients;
  const keys = Array.from({ length: keyCount }, (_, i) => `bench-${runId}-${String(i).padStart(4, '0')}`);
  const grid: (Send | undefined)[][] = Array.from({ length: clients }, () => new Array<Send | undefined>(slots));
  const togetherKeys = keys.filter((_, i) => i % 2 === 0);
  const spreadKeys = keys.filter((_, i) => i % 2 === 1);
  // Together keys: key j goes to slot j mod slots, on distinct clients free in that slot.
  togetherKeys.forEach((key, j) => {
    const slot = j % slots;
    const free = shuffle(
      Array.from({ length: clients }, (_, c) => c).filter((c) => grid[c]![slot] === undefined),
      random,
    );
    if (free.length < sendsPerKey) throw new Error(`plan: slot ${slot} has no room for ${sendsPerKey} more sends`);
    for (let copy = 0; copy < sendsPerKey; copy++) grid[free[copy]!]![slot] = { key, copy, together: true };
  });
  const spread = shuffle(
    spreadKeys.flatMap((key) => Array.from({ length: sendsPerKey }, (_, copy): Send => ({ key, copy, together: false }))),
    random,
  );
  for (const row of grid) for (let s = 0; s < slots; s++) if (row[s] === undefined) row[s] = spread.pop();
  return { size, keys, queues: grid.map((row) => row.map((cell) => cell!)) };
}

/** What one request got. */
export interface Outcome {
  key: string;
  client: number;
  /** performance.now() at send and at the end of the answer, ms. */
  startMs: number;
  endMs: number;
  /** HTTP status; 0 when no answer came (connection error, timeout). */
  status: number;
  jobId?: string;
  created?: boolean;
  rerun?: boolean;
  /** Why it counts as an error: the problem's detail, or the connection error. */
  error?: string;
}

export interface KeyVerdict {
  key: string;
  problems: string[];
}

/**
 * One job per key: exactly one 201 (created, not a rerun), every other send 200 (not created), all
 * naming the same job ID, the one the key derives (`expectedJobId`).
 */
export function judgeKeys(plan: Plan, outcomes: readonly Outcome[], expectedJobId: (key: string) => string): KeyVerdict[] {
  const byKey = new Map<string, Outcome[]>(plan.keys.map((k) => [k, []]));
  for (const o of outcomes) byKey.get(o.key)?.push(o);
  return plan.keys.map((key) => {
    const sends = byKey.get(key)!;
    const problems: string[] = [];
    if (sends.length !== plan.size.sendsPerKey) problems.push(`${sends.length} answers for ${plan.size.sendsPerKey} sends`);
    const created = sends.filter((s) => s.status === 201);
    if (created.length !== 1) problems.push(`${created.length} answers 201 (want exactly 1)`);
    for (const s of sends) {
      if (s.status !== 200 && s.status !== 201) problems.push(`answer ${s.status || 'none'}${s.error ? `: ${s.error}` : ''}`);
      else if (s.created !== (s.status === 201) || s.rerun !== false) problems.push(`answer ${s.status} with created=${s.created} rerun=${s.rerun}`);
    }
    const ids = new Set(sends.filter((s) => s.jobId !== undefined).map((s) => s.jobId));
    const want = expectedJobId(key);
    if (ids.size !== 1 || !ids.has(want)) problems.push(`job IDs ${[...ids].join(', ') || 'none'} (want ${want})`);
    return { key, problems };
  });
}

/** One Livy batch per key: exactly one POST for its first attempt's batch name, and no POST Shale did not ask for. */
export function judgeBatches(batchNames: readonly string[], postsByName: ReadonlyMap<string, number>): string[] {
  const problems: string[] = [];
  for (const name of batchNames) {
    const posts = postsByName.get(name) ?? 0;
    if (posts !== 1) problems.push(`${name}: ${posts} POSTs (want 1)`);
  }
  const expected = new Set(batchNames);
  for (const [name, posts] of postsByName) if (!expected.has(name)) problems.push(`${name}: ${posts} POSTs for a batch no key names`);
  return problems;
}

/** How many keys had two sends in flight at the same moment (the races the plan sets up). */
export function keysSentConcurrently(outcomes: readonly Outcome[]): number {
  const byKey = new Map<string, Outcome[]>();
  for (const o of outcomes) byKey.set(o.key, [...(byKey.get(o.key) ?? []), o]);
  let count = 0;
  for (const sends of byKey.values()) {
    const sorted = [...sends].sort((a, b) => a.startMs - b.startMs);
    if (sorted.some((s, i) => i > 0 && s.startMs < Math.max(...sorted.slice(0, i).map((p) => p.endMs)))) count++;
  }
  return count;
}

export interface Latency {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function latency(values: readonly number[]): Latency {
  return {
    n: values.length,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    max: values.length ? Math.max(...values) : Number.NaN,
  };
}
