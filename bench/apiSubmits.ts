/**
 * 1,000 submits through the HTTP API (issue 10, "Checks the API must pass"): 250 idempotency keys
 * sent 4 times each from 20 concurrent HTTP clients (one keep-alive connection each), half of the
 * keys by 4 clients at the same moment (bench/apiSubmitPlan.ts). Against the whole local stack
 * (dev/stack/localStack.ts: dev server, worker, simulated Livy clusters, the API in its own process).
 *
 * It checks one job per key (one 201, then 200s, all with the key's job ID), that every job ends
 * SUCCEEDED, and one Livy batch per key (POSTs per batch name in the simulators' request logs), and
 * prints submit latency (first submit vs repeats), throughput and errors. Figures go to
 * bench/results/api-submits-*.json. `--check` exits 1 on any violation (make test runs it so).
 *
 *   npx tsx bench/apiSubmits.ts [--check] [--keys 250] [--sends 4] [--clients 20]
 */
import { cpus } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Pool } from 'undici';
import { TERMINAL_JOB_STATES, attemptName, jobIdFromKey } from '../contract';
import { judgeBatches, judgeKeys, keysSentConcurrently, latency, makePlan, type Latency, type Outcome, type Plan } from './apiSubmitPlan';
import { startLocalStack, type LocalStackInfo } from './localStackProcess';
import { pool } from './pacing';
import { seeded } from '../test/support/seededRandom';
import { round } from './stats';

const RESULTS_DIR = fileURLToPath(new URL('./results', import.meta.url));
const TEAM = 'bench';
/** A quick success on the simulator: the jobs should be done by the time the submits are. */
const SIM_DURATION_MS = '200';

const { values: opts } = parseArgs({
  options: {
    check: { type: 'boolean', default: false },
    keys: { type: 'string', default: '250' },
    sends: { type: 'string', default: '4' },
    clients: { type: 'string', default: '20' },
    seed: { type: 'string' },
  },
});
const size = { keys: Number(opts.keys), sendsPerKey: Number(opts.sends), clients: Number(opts.clients) };
for (const [name, value] of Object.entries(size)) {
  if (!Number.isInteger(value) || value < 1) {
    console.error(`apiSubmits: --${name} must be a positive integer`);
    process.exit(2);
  }
}
const seed = opts.seed === undefined ? Date.now() % 2 ** 31 : Number(opts.seed);

const step = (what: string) => process.stderr.write(`api-submits [${new Date().toISOString().slice(11, 19)}] ${what}\n`);

function specFor(key: string) {
  return {
    name: `api-submit-${key.slice(-4)}`,
    team: TEAM,
    kind: 'pyspark',
    file: 's3://bench/jobs/app.py',
    labels: { bench: 'api-submits' },
    conf: { 'shale.sim.durationMs': SIM_DURATION_MS },
  };
}

function adminToken(info: LocalStackInfo): string {
  const token = info.tokens.admin;
  if (!token) throw new Error(`localStack.ts printed no admin token (tokens: ${Object.keys(info.tokens).join(', ')})`);
  return token;
}

async function readJson(body: { text(): Promise<string> }): Promise<Record<string, unknown>> {
  const text = await body.text();
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { detail: `not JSON: ${text.slice(0, 200)}` };
  }
}

/** Each client works through its queue one request at a time, on its own keep-alive connection. */
async function runPlan(plan: Plan, apiUrl: string, token: string): Promise<{ outcomes: Outcome[]; wallMs: number }> {
  const clients = plan.queues.map(() => new Client(apiUrl, { headersTimeout: 60_000, bodyTimeout: 60_000, keepAliveTimeout: 60_000 }));
  const outcomes: Outcome[] = [];
  const t0 = performance.now();
  try {
    await Promise.all(
      plan.queues.map(async (queue, c) => {
        for (const send of queue) {
          const startMs = performance.now();
          try {
            const res = await clients[c]!.request({
              method: 'POST',
              path: '/v1/jobs',
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': send.key },
              body: JSON.stringify(specFor(send.key)),
            });
            const body = await readJson(res.body);
            const endMs = performance.now();
            const ok = res.statusCode === 200 || res.statusCode === 201;
            outcomes.push({
              key: send.key,
              client: c,
              startMs,
              endMs,
              status: res.statusCode,
              ...(typeof body.jobId === 'string' ? { jobId: body.jobId } : {}),
              ...(typeof body.created === 'boolean' ? { created: body.created } : {}),
              ...(typeof body.rerun === 'boolean' ? { rerun: body.rerun } : {}),
              ...(ok ? {} : { error: String(body.detail ?? body.title ?? 'no detail') }),
            });
          } catch (err) {
            outcomes.push({ key: send.key, client: c, startMs, endMs: performance.now(), status: 0, error: (err as Error).message });
          }
        }
      }),
    );
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
  return { outcomes, wallMs: performance.now() - t0 };
}

/** Each job's state once it ended (the API's long-poll wait), or its last state if it did not in time. */
async function finalStates(apiUrl: string, token: string, jobIds: readonly string[], concurrency: number): Promise<Map<string, string>> {
  const client = new Pool(apiUrl, { connections: concurrency });
  const states = new Map<string, string>();
  const deadline = Date.now() + 120_000;
  try {
    await pool(jobIds, concurrency, async (jobId) => {
      let state = 'unknown';
      while (Date.now() < deadline) {
        const res = await client.request({ method: 'GET', path: `/v1/jobs/${jobId}/wait?timeout=30`, headers: { authorization: `Bearer ${token}` } });
        const body = await readJson(res.body);
        if (res.statusCode !== 200) {
          state = `HTTP ${res.statusCode}: ${String(body.detail ?? '')}`;
          break;
        }
        state = String(body.state);
        if ((TERMINAL_JOB_STATES as ReadonlySet<string>).has(state)) break;
      }
      states.set(jobId, state);
    });
  } finally {
    await client.close();
  }
  return states;
}

async function simulatorPosts(info: LocalStackInfo): Promise<Map<string, number>> {
  const posts = new Map<string, number>();
  for (const sim of info.simulators) {
    const res = await fetch(new URL('/admin/requests?method=POST', sim.url));
    if (!res.ok) throw new Error(`simulator ${sim.url}: GET /admin/requests answered ${res.status}`);
    const { requests } = (await res.json()) as { requests: { path: string; batchName?: string }[] };
    for (const r of requests) {
      if (!/^\/batches\/?$/.test(r.path)) continue;
      const name = r.batchName ?? '(no name)';
      posts.set(name, (posts.get(name) ?? 0) + 1);
    }
  }
  return posts;
}

async function clearSimulatorLogs(info: LocalStackInfo): Promise<void> {
  await Promise.all(
    info.simulators.map(async (sim) => {
      const res = await fetch(new URL('/admin/requests', sim.url), { method: 'DELETE' });
      if (!res.ok) throw new Error(`simulator ${sim.url}: DELETE /admin/requests answered ${res.status}`);
    }),
  );
}

interface Figures {
  startedAt: string;
  machine: { cpus: number; node: string };
  size: typeof size;
  seed: number;
  submits: number;
  wallSeconds: number;
  submitsPerSecond: number;
  keysSentConcurrently: number;
  latencyMs: { first: Latency; repeat: Latency; all: Latency };
  answers: Record<string, number>;
  errors: number;
  jobs: { created: number; succeeded: number; states: Record<string, number> };
  batches: { keysWithOneBatch: number; extraPosts: number };
  violations: string[];
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}

function printFigures(f: Figures, file: string): void {
  const ms = (l: Latency) => `p50 ${round(l.p50)} · p95 ${round(l.p95)} · p99 ${round(l.p99)} · max ${round(l.max)} ms (n=${l.n})`;
  const lines = [
    `submits                 ${f.submits} (${f.size.keys} keys × ${f.size.sendsPerKey}) from ${f.size.clients} clients in ${round(f.wallSeconds)} s: ${round(f.submitsPerSecond)}/s`,
    `keys sent concurrently  ${f.keysSentConcurrently} of ${f.size.keys} (two sends of the key in flight at once)`,
    `first submit (201)      ${ms(f.latencyMs.first)}`,
    `repeat (200)            ${ms(f.latencyMs.repeat)}`,
    `all                     ${ms(f.latencyMs.all)}`,
    `answers                 ${Object.entries(f.answers).map(([s, n]) => `${s}: ${n}`).join(' · ')}; errors ${f.errors}`,
    `jobs                    ${f.jobs.created} created, ${f.jobs.succeeded} SUCCEEDED (${Object.entries(f.jobs.states).map(([s, n]) => `${s} ${n}`).join(', ')})`,
    `Livy batches            ${f.batches.keysWithOneBatch} of ${f.size.keys} keys with exactly one POST; ${f.batches.extraPosts} POSTs no key names`,
    `violations              ${f.violations.length === 0 ? 'none' : f.violations.length}`,
  ];
  console.log(lines.join('\n'));
  for (const v of f.violations.slice(0, 20)) console.log(`  ✗ ${v}`);
  if (f.violations.length > 20) console.log(`  … and ${f.violations.length - 20} more (all in ${file})`);
  console.log(`figures in ${file}`);
}

async function main(): Promise<number> {
  const startedAt = new Date();
  step('starting the local stack (dev/stack/localStack.ts)');
  // The API's per-principal rate limit would turn a burst of 1,000 into 429s: raised for this run.
  const stack = await startLocalStack(['--rate-limit', '1000000']);
  let figures: Figures;
  try {
    const { info } = stack;
    const token = adminToken(info);
    await clearSimulatorLogs(info);
    const plan = makePlan(size, startedAt.getTime().toString(36), seeded(seed));
    step(`${size.keys * size.sendsPerKey} submits: ${size.keys} keys × ${size.sendsPerKey} from ${size.clients} clients (seed ${seed})`);
    const { outcomes, wallMs } = await runPlan(plan, info.apiUrl, token);
    const jobIdOf = (key: string) => jobIdFromKey(TEAM, key);
    const keyVerdicts = judgeKeys(plan, outcomes, jobIdOf);
    const jobIds = plan.keys.map(jobIdOf);

    step(`waiting for ${jobIds.length} jobs to end (GET /v1/jobs/{id}/wait)`);
    const states = await finalStates(info.apiUrl, token, jobIds, size.clients);
    // Every job has ended, so every POST it will ever make is in the logs now.
    const posts = await simulatorPosts(info);
    const batchNames = jobIds.map((id) => attemptName(id, 1));
    const batchProblems = judgeBatches(batchNames, posts);

    const violations = [
      ...keyVerdicts.flatMap((v) => v.problems.map((p) => `key ${v.key}: ${p}`)),
      ...jobIds.filter((id) => states.get(id) !== 'SUCCEEDED').map((id) => `job ${id} ended ${states.get(id) ?? 'unknown'} (want SUCCEEDED)`),
      ...batchProblems,
    ];
    const ok = (o: Outcome) => o.status === 200 || o.status === 201;
    const stateList = [...states.values()];
    figures = {
      startedAt: startedAt.toISOString(),
      machine: { cpus: cpus().length, node: process.version },
      size,
      seed,
      submits: outcomes.length,
      wallSeconds: wallMs / 1000,
      submitsPerSecond: outcomes.length / (wallMs / 1000),
      keysSentConcurrently: keysSentConcurrently(outcomes),
      latencyMs: {
        first: latency(outcomes.filter((o) => o.status === 201).map((o) => o.endMs - o.startMs)),
        repeat: latency(outcomes.filter((o) => o.status === 200).map((o) => o.endMs - o.startMs)),
        all: latency(outcomes.map((o) => o.endMs - o.startMs)),
      },
      answers: countBy(outcomes, (o) => String(o.status || 'no answer')),
      errors: outcomes.filter((o) => !ok(o)).length,
      jobs: {
        created: outcomes.filter((o) => o.status === 201).length,
        succeeded: stateList.filter((s) => s === 'SUCCEEDED').length,
        states: countBy(stateList, (s) => s),
      },
      batches: {
        keysWithOneBatch: batchNames.filter((n) => posts.get(n) === 1).length,
        extraPosts: [...posts].filter(([n]) => !batchNames.includes(n)).reduce((sum, [, n]) => sum + n, 0),
      },
      violations,
    };
  } finally {
    step('stopping the local stack');
    await stack.stop();
  }
  await mkdir(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `api-submits-${figures.startedAt.replace(/[:.]/g, '-')}.json`);
  await writeFile(file, JSON.stringify(figures, null, 2));
  printFigures(figures, file);
  if (opts.check && figures.violations.length > 0) {
    console.error(`api-submits: ${figures.violations.length} violations of one job and one batch per key`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`api-submits: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
