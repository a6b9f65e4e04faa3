/**
 * The invariant checks must be able to fail: before a run, they are fed a made-up scenario with one
 * planted violation per invariant (and one clean job), and must report exactly those.
 */
import type { JobState, JobStatus } from '../../../contract';
import type { LivySimulator, RequestLogEntry } from '../../../dev/livy-sim';
import { checkInvariants, type Verdict } from './invariants';
import { ScenarioContext } from './scenario';

function status(jobId: string, state: JobState, attempts: Array<{ n: number; outcome?: JobStatus['attempts'][number]['outcome']; batchId?: number }>): JobStatus {
  return {
    jobId,
    name: jobId,
    team: 'chaos',
    kind: 'pyspark',
    state,
    labels: {},
    fingerprint: '',
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    attempts: attempts.map((a) => ({ ...a, batchName: `${jobId}-a${a.n}` })),
    budgets: { appFailures: 0, appRetries: 1, infraFailures: 0, infraRetries: 3 },
    logTail: [],
  };
}

export function selfCheck(): string[] {
  const at = Date.now();
  const req = (method: string, batchName: string, statusCode: number, batchId?: number): RequestLogEntry => ({
    at,
    method,
    path: method === 'POST' ? '/batches' : `/batches/${batchName}`,
    status: statusCode,
    batchName,
    ...(batchId !== undefined ? { batchId } : {}),
    hasAuth: true,
    connection: 1,
  });
  const requests = [
    req('POST', 'ok-a1', 201, 0),
    req('POST', 'dup-a1', 201, 1),
    req('POST', 'dup-a1', 400),
    req('POST', 'del-a1', 201, 2),
    req('DELETE', 'del-a1', 200, 2),
    req('POST', 'two-a1', 201, 3),
    req('POST', 'two-a2', 201, 4),
    req('POST', 'state-a1', 201, 5),
    req('DELETE', 'foreign-0', 200, 6),
  ];
  let held = [
    { id: 3, name: 'two-a1', state: 'running' },
    { id: 4, name: 'two-a2', state: 'starting' },
    { id: 6, name: 'foreign-0', state: 'running' },
  ];
  const sim = { batches: () => held, requests: () => requests } as unknown as LivySimulator;
  // A cluster with a YARN side: Livy forgot yarn-a1 (a crash), but its app still runs beside yarn-a2.
  const yarnSim = {
    batches: () => [{ id: 0, name: 'yarn-a2', state: 'running' }],
    yarnApps: () => [
      { id: 'application_1_0001', name: 'yarn-a1', tags: ['yarn-a1', 'livy-batch-0-x'], state: 'RUNNING' },
      { id: 'application_1_0002', name: 'yarn-a2', tags: ['yarn-a2', 'livy-batch-0-y'], state: 'RUNNING' },
    ],
    requests: () => [req('POST', 'yarn-a1', 201, 0), req('POST', 'yarn-a2', 201, 0)],
  } as unknown as LivySimulator;
  const ctx = new ScenarioContext('self-check', 'quick', undefined as never, undefined as never, 'self-check', undefined as never);
  ctx.sims.push({ label: 'x', sim }, { label: 'y', sim: yarnSim });
  ctx.observer.watch('x', sim);
  ctx.observer.watch('y', yarnSim);
  ctx.observer.sample();
  held = held.filter((b) => b.name !== 'foreign-0');
  ctx.observer.takeFinalSample();
  ctx.foreignNames.add('foreign-0');
  const jobs: Array<[string, JobState, JobState, Parameters<typeof status>[2]]> = [
    ['ok', 'SUCCEEDED', 'SUCCEEDED', [{ n: 1, outcome: 'SUCCEEDED', batchId: 0 }]],
    ['dup', 'SUCCEEDED', 'SUCCEEDED', [{ n: 1, outcome: 'SUCCEEDED', batchId: 1 }]],
    ['del', 'SUCCEEDED', 'SUCCEEDED', [{ n: 1, outcome: 'SUCCEEDED', batchId: 2 }]],
    ['two', 'SUCCEEDED', 'SUCCEEDED', [{ n: 1, outcome: 'INFRA_FAILED', batchId: 3 }, { n: 2, outcome: 'SUCCEEDED', batchId: 4 }]],
    ['state', 'FAILED', 'SUCCEEDED', [{ n: 1, outcome: 'APP_FAILED', batchId: 5 }]],
    ['yarn', 'SUCCEEDED', 'SUCCEEDED', [{ n: 1, outcome: 'INFRA_FAILED', batchId: 0 }, { n: 2, outcome: 'SUCCEEDED', batchId: 0 }]],
  ];
  for (const [jobId, state, expected, attempts] of jobs) {
    ctx.track(jobId, { label: 'self-check', expect: [expected] }).status = status(jobId, state, attempts);
  }
  ctx.check('planted check', false, 'planted');
  const verdict = checkInvariants(ctx, { surfaces: 1, leaks: ['planted leak'], scannerWorks: true });
  const expected: Record<keyof Verdict, number> = {
    finalStates: 1,
    postsPerAttempt: 1,
    deletes: 1,
    // two-a1/two-a2 in Livy, yarn-a1/yarn-a2 in YARN (Livy alone shows one).
    oneLiveAttempt: 2,
    foreignUntouched: 1,
    secretLeaks: 1,
    checks: 1,
  };
  return (Object.keys(expected) as Array<keyof Verdict>)
    .filter((k) => verdict[k].failed !== expected[k])
    .map((k) => `${k}: ${verdict[k].failed} failure(s) found, ${expected[k]} planted (${verdict[k].examples.join('; ')})`);
}
