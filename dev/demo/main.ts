/**
 * `make demo`: the local stack and a handful of jobs that show Shale's lifecycle — success on Spark 3
 * and on Spark 2, an app failure retried, a SQL job, a cancellation, a job submitted over the HTTP
 * API (an Idempotency-Key, then one long poll), and a job whose EMR cluster is terminated mid-run and
 * that finishes on the other one — with live progress and a summary. The clusters are found through
 * a real EMR API (moto). `--keep` leaves the stack up; `--airflow` also runs an Airflow DAG through
 * the provider against the demo's API (dev/demo/airflowScene.ts). `--livy real` runs the jobs on one
 * real Apache Livy 0.7.1 with Spark 3.5 instead of the simulators (dev/demo/realLivyMode.ts).
 */
import { spawn } from 'node:child_process';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify as toYaml } from 'yaml';
import { formatDuration, isTerminalJobState, type JobState, type JobStatus } from '../../contract';
import { table } from '../../client/format';
import { ShaleClient } from '../../client/shaleClient';
import { startLivySimulator, type LivySimulator } from '../livy-sim';
import { startRealLivy, type RealLivy } from '../stack/realLivy';
import { startDevServer, type DevServer } from '../stack/devServer';
import { stopProcess } from '../stack/processes';
import { resolveTools } from '../stack/tools';
import { installAirflow, runAirflowDag, type AirflowRun } from './airflowScene';
import { acquireDemoLock, DemoRunningError } from './demoLock';
import { demoApiCredentials, startDemoApi, type DemoApi } from './demoApi';
import { submitOverHttp, waitOverHttp } from './httpScene';
import { Narrator } from './narrator';
import {
  AIRFLOW_SKIPPED_ON_REAL_LIVY,
  LOCAL_SIZES,
  livyModeOf,
  realDemoJobs,
  realLivyAllowedDirs,
  realSqlRunnerUri,
  SKIPPED_ON_REAL_LIVY,
  type LivyMode,
} from './realLivyMode';
import { Teardown } from './teardown';
import { createCluster, motoEmrClient, terminateCluster } from '../stack/emrClusters';
import { MOTO_ENV, startMoto, type MotoServer } from '../stack/moto';
import { freePort } from '../stack/ports';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const keep = process.argv.includes('--keep');
const airflow = process.argv.includes('--airflow');
const livyMode: LivyMode = (() => {
  try {
    return livyModeOf(process.argv);
  } catch (err) {
    console.error(`demo: ${(err as Error).message}`);
    return process.exit(2);
  }
})();
const realLivyMode = livyMode === 'real';
const TEAM = 'demo';
/** Only the demo's clusters are Shale's (emr.requiredTags). */
const DEMO_TAG = { 'shale:demo': 'true' };
const narrator = new Narrator();
const say = (line: string) => narrator.say(line);
/** The Web UI's usual port; another one if something else holds it. */
const UI_PORT = 8233;

/** Whether a port on loopback can be listened on now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

interface DemoJob {
  label: string;
  spec: Record<string, unknown>;
  cancelWhenRunning?: boolean;
}

/** How a scene ended, for the summary and the exit code. */
interface SceneEnd {
  name: string;
  label: string;
  expected: JobState;
  /** The job's final status; absent when the scene failed before it had a job. */
  status?: JobStatus;
  /** What went wrong beyond the state (a request refused, a repeat that made a second job, Airflow failing). */
  problem?: string;
}

const FAILOVER: DemoJob = {
  label: 'cluster terminated, fails over',
  spec: { name: 'nightly-aggregates', kind: 'pyspark', file: 's3://acme-jobs/aggregates.py', retry: { initialBackoff: 2, maxBackoff: 4 }, conf: { 'shale.sim.durationMs': '8000' } },
};

const JOBS: DemoJob[] = [
  {
    label: 'succeeds on Spark 3',
    spec: { name: 'daily-revenue', kind: 'pyspark', file: 's3://acme-jobs/revenue/daily.py', args: ['--date', '2026-11-20'], route: { sparkVersion: '3' }, conf: { 'shale.sim.durationMs': '4000' } },
  },
  {
    label: 'succeeds on Spark 2 (EMR 5)',
    spec: { name: 'legacy-report', kind: 'jar', file: 's3://acme-jobs/legacy/report.jar', className: 'com.acme.Report', route: { sparkVersion: '2' }, size: 'SMALL', conf: { 'shale.sim.durationMs': '3000' } },
  },
  {
    label: 'app fails, retried, succeeds',
    spec: { name: 'flaky-etl', kind: 'pyspark', file: 's3://acme-jobs/etl/flaky.py', route: { sparkVersion: '3' }, retry: { app: 1, initialBackoff: 2, maxBackoff: 4 }, conf: { 'shale.sim.durationMs': '2500', 'shale.sim.outcomes': 'dead,success' } },
  },
  {
    label: 'SQL through the runner',
    spec: { name: 'refresh-dim', kind: 'sql', sql: 'INSERT OVERWRITE TABLE dim_customer SELECT * FROM staging.customer;', route: { sparkVersion: '3' }, conf: { 'shale.sim.durationMs': '3000' } },
  },
  {
    label: 'cancelled while running',
    spec: { name: 'wrong-backfill', kind: 'pyspark', file: 's3://acme-jobs/backfill.py', route: { sparkVersion: '3' }, conf: { 'shale.sim.durationMs': '600000' } },
    cancelWhenRunning: true,
  },
];

/** Submitted over the HTTP API, beside the scenes above. */
const HTTP_JOB: DemoJob = {
  label: 'over HTTP: key, long poll',
  spec: { name: 'hourly-sessions', kind: 'pyspark', file: 's3://acme-jobs/sessions/hourly.py', args: ['--hour', '2026-11-20T10'], route: { sparkVersion: '3' }, conf: { 'shale.sim.durationMs': '4000' } },
};

const AIRFLOW_LABEL = 'Airflow DAG, the provider';

async function main(): Promise<void> {
  const started = Date.now();
  const runDir = process.env.SHALE_DEMO_RUN_DIR ?? `${ROOT}.run/demo`;
  await mkdir(runDir, { recursive: true });
  const lock = await acquireDemoLock(runDir); // before anything starts: a second demo is refused at once
  const teardown = new Teardown();
  teardown.add(() => lock.release());
  const onSignal = (signal: NodeJS.Signals) => {
    say(`${signal}: stopping the stack`);
    narrator.hush();
    void teardown.run().then(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  try {
    await runDemo(started, runDir, teardown, onSignal);
  } finally {
    await teardown.run();
  }
}

async function runDemo(started: number, runDir: string, teardown: Teardown, onSignal: (signal: NodeJS.Signals) => void): Promise<void> {
  // Airflow installs (only the first time: minutes) while the stack starts.
  const airflowVenv = airflow && !realLivyMode ? installAirflow(ROOT, teardown) : undefined;
  airflowVenv?.catch(() => undefined); // its failure is the Airflow scene's, reported there
  const uiPort = (await portFree(UI_PORT)) ? UI_PORT : await freePort();
  const livyPart = realLivyMode
    ? 'one EMR cluster whose Livy is a real Apache Livy 0.7.1 with Spark 3.5 (local mode)'
    : 'two EMR clusters with Livy (simulated)';
  say(`starting the local stack: Temporal dev server (UI :${uiPort}), EMR API (moto), ${livyPart}, a Shale worker, the HTTP API`);
  if (uiPort !== UI_PORT) say(`(port ${UI_PORT} is taken by another process, so the Web UI is on :${uiPort})`);
  if (realLivyMode) say('LIVY=real: Livy 0.7.1 and Spark 3.5 from .tools/ (dev/tools/install-livy.sh installs them the first time, about 2 minutes)');
  if (airflow && realLivyMode) say(`AIRFLOW=1 is skipped on a real Livy: ${AIRFLOW_SKIPPED_ON_REAL_LIVY}`);
  else if (airflow) say('AIRFLOW=1: Airflow 3.3 from .tools/airflow-venv (dev/tools/install-airflow.sh installs it the first time, a few minutes)');
  // Each part is stopped on the way out as soon as it is up, whatever fails next.
  const [serverStarted, motoStarted, realLivyStarted] = await Promise.allSettled([
    // In memory: each demo starts clean, whatever an earlier version of Shale left behind.
    startDevServer({ headless: false, uiPort, port: await freePort() }),
    startMoto(),
    // Seconds to start (a JVM); installs Livy and Spark into .tools/ the first time (minutes).
    realLivyMode ? startRealLivy({ allowedDirs: realLivyAllowedDirs(ROOT) }) : Promise.resolve(undefined),
  ]);
  for (const started of [serverStarted, motoStarted]) {
    if (started.status === 'fulfilled') teardown.add(() => (started.value as DevServer | MotoServer).stop());
  }
  // close(), not stop(): local mode can leave a killed app's Python driver behind.
  if (realLivyStarted.status === 'fulfilled' && realLivyStarted.value) teardown.add(() => (realLivyStarted.value as RealLivy).close());
  if (serverStarted.status === 'rejected') throw serverStarted.reason;
  if (motoStarted.status === 'rejected') throw motoStarted.reason;
  if (realLivyStarted.status === 'rejected') throw realLivyStarted.reason;
  const [server, moto, realLivy] = [serverStarted.value, motoStarted.value, realLivyStarted.value];
  const sims = realLivy
    ? []
    : await Promise.all([startLivySimulator({ name: 'emr5-spark2', startingMs: 500 }), startLivySimulator({ name: 'emr6-spark3', startingMs: 500 })]);
  teardown.add(() => Promise.all(sims.map((sim) => sim.close())));
  const emr = motoEmrClient(moto.endpoint);
  teardown.add(() => emr.destroy());
  const clusters: Record<string, { name: string; sim?: LivySimulator }> = {};
  if (realLivy) {
    clusters[await createCluster(emr, { name: 'etl-emr6', releaseLabel: 'emr-6.15.0', livyUrl: realLivy.url, tags: DEMO_TAG })] = { name: 'etl-emr6' };
  } else {
    const [spark2, spark3] = sims as [LivySimulator, LivySimulator];
    clusters[await createCluster(emr, { name: 'etl-emr5', releaseLabel: 'emr-5.36.0', livyUrl: spark2.url, tags: DEMO_TAG })] = { name: 'etl-emr5', sim: spark2 };
    clusters[await createCluster(emr, { name: 'etl-emr6', releaseLabel: 'emr-6.15.0', livyUrl: spark3.url, tags: DEMO_TAG })] = { name: 'etl-emr6', sim: spark3 };
  }
  const { jobs, http: httpJob } = realLivyMode ? realDemoJobs(ROOT) : { jobs: JOBS, http: HTTP_JOB };
  const clusterName = (id?: string) => (id && clusters[id]?.name) || id || '';
  const configPath = `${runDir}/shale.yaml`;
  const apiCredentials = demoApiCredentials(TEAM);
  await writeFile(
    configPath,
    toYaml({
      temporal: { address: server.address, taskQueue: 'shale' },
      emr: {
        enabled: true,
        endpoint: moto.endpoint,
        region: MOTO_ENV.AWS_REGION,
        cacheTtlMs: 1000,
        stateCheckIntervalMs: 1000,
        requiredTags: DEMO_TAG,
        // The simulators' tag URLs (moto's primary-node DNS is fake); a tag outside the allowlist is refused.
        tagUrlAllowlist: ['http://127.0.0.1:*'],
      },
      livy: { pollIntervalMs: 500, failoverAfterUnreachableSeconds: 10 },
      sqlRunnerUri: realLivyMode ? realSqlRunnerUri(ROOT) : 's3://acme-platform/shale/sql_runner.py',
      ...(realLivyMode ? { sizes: LOCAL_SIZES } : {}),
      api: apiCredentials.configSection, // the token's SHA-256 only
    }),
  );
  // The worker's JSON log (one line per lifecycle event) goes to a file, to keep the demo readable.
  const workerLog = await open(`${runDir}/worker.log`, 'w');
  teardown.add(() => workerLog.close());
  const worker = spawn(`${ROOT}bin/shale`, ['worker', '--config', configPath], {
    stdio: ['ignore', workerLog.fd, workerLog.fd],
    env: { ...process.env, ...MOTO_ENV },
  });
  teardown.add(() => stopProcess(worker, 10_000));
  const client = await ShaleClient.connect({ address: server.address, taskQueue: 'shale', identity: 'demo@shale' });
  teardown.add(() => client.close());
  // The HTTP API runs in this process (its request log in the run dir), as `shale api` would beside the worker.
  // It starts while the worker does: the scenes that use it wait for it, the others need not.
  const apiStarted = startDemoApi(configPath, apiCredentials, `${runDir}/api.log`);
  apiStarted.catch(() => undefined); // a failure is the HTTP scenes', reported there
  teardown.add(async () => (await apiStarted.catch(() => undefined))?.stop());

  try {
    const ids = new Map<string, DemoJob>();
    for (const job of jobs) {
      const { jobId } = await client.submit({ team: TEAM, ...job.spec });
      ids.set(jobId, job);
      say(`submitted ${job.spec.name} as ${jobId}: ${job.label}`);
    }
    if (realLivyMode) for (const skipped of SKIPPED_ON_REAL_LIVY) say(`skipped on a real Livy: ${skipped.label}: ${skipped.why}`);
    const httpScene = runHttpScene(apiStarted, ids, httpJob);
    const airflowScene = airflowVenv && tracked(runAirflowScene(airflowVenv, apiStarted, client, `${runDir}/airflow.log`, teardown));
    const finals = await watch(client, ids, clusterName);

    if (!realLivyMode) {
      say('');
      say('failover: a job whose EMR cluster is terminated while it runs');
      const { jobId: failoverId } = await client.submit({ team: TEAM, ...FAILOVER.spec });
      ids.set(failoverId, FAILOVER);
      say(`submitted ${FAILOVER.spec.name} as ${failoverId}: ${FAILOVER.label}`);
      const failover = await watch(client, new Map([[failoverId, FAILOVER]]), clusterName, async (status) => {
        const attempt = status.attempts[0];
        if (status.state !== 'RUNNING' || status.attempts.length !== 1 || !attempt?.cluster) return false;
        say(`terminating EMR cluster ${clusterName(attempt.cluster)} (${attempt.cluster}) under attempt 1 (its Livy goes down with it)`);
        await clusters[attempt.cluster]!.sim!.stop();
        await terminateCluster(emr, attempt.cluster);
        return true;
      });
      finals.set(failoverId, failover.get(failoverId)!);
    }

    const ends: SceneEnd[] = [...finals.values()]
      .filter((s) => ids.get(s.jobId) !== httpJob)
      .map((s) => ({ name: s.name, label: ids.get(s.jobId)!.label, expected: ids.get(s.jobId)!.cancelWhenRunning ? 'CANCELLED' : 'SUCCEEDED', status: s }));
    // The HTTP scene's end is what its caller saw: the long poll's answer.
    ends.splice(jobs.length, 0, await httpScene);
    if (airflowScene) {
      if (!airflowScene.ended) narrator.note('waiting for the Airflow DAG to finish…');
      ends.push(await airflowScene.finished);
    }
    say('');
    say(table([
      ['JOB', 'SCENARIO', 'STATE', 'ATTEMPTS', 'CLUSTERS', 'POSTS', 'DELETES', 'TOOK'],
      ...ends.map(({ name, label, status: s }) =>
        s
          ? [
              s.name,
              label,
              s.state,
              s.attempts.map((a) => `${a.n}:${a.outcome ?? '?'}`).join(' '),
              [...new Set(s.attempts.map((a) => clusterName(a.cluster)))].join(' → '),
              countCalls(sims, 'POST', s),
              countCalls(sims, 'DELETE', s),
              formatDuration((Date.parse(s.finishedAt ?? s.updatedAt) - Date.parse(s.createdAt)) / 1000),
            ]
          : [name, label, 'NO JOB', '', '', '', '', ''],
      ),
    ]));
    say('');
    const logs = ['worker', 'api', ...(airflowScene ? ['airflow'] : [])].map((name) => relative(process.cwd(), `${runDir}/${name}.log`));
    say(`demo finished in ${formatDuration((Date.now() - started) / 1000)}; logs: ${logs.join(', ')}`);
    // A scene that ended otherwise than it shows is a broken demo: say so and exit non-zero.
    const wrong = ends.filter((e) => e.problem || e.status?.state !== e.expected);
    if (wrong.length) {
      throw new Error(
        `scenes that did not end as shown: ${wrong.map((e) => `${e.name} ${e.status?.state ?? 'no job'} (${e.problem ?? e.status?.lastError?.message ?? 'no error'})`).join('; ')}`,
      );
    }
    if (keep) {
      const temporalDir = dirname(resolveTools().temporal);
      say(`the stack stays up: Web UI ${server.uiUrl}  (filter: ShaleState = "RUNNING")`);
      say('in another shell (bin/shale and the temporal CLI both read TEMPORAL_ADDRESS):');
      say(`  export TEMPORAL_ADDRESS=${server.address}`);
      say(`  export PATH="${ROOT}bin:${temporalDir}:$PATH"`);
      say(`  shale list --team ${TEAM}`);
      say(`  temporal workflow list --query 'ShaleTeam = "${TEAM}"'`);
      // The token is shown here only, on the operator's own terminal; it dies with the demo.
      const api = await apiStarted;
      say(`the HTTP API: ${api.url} (principal ${api.principal}, team ${TEAM}; the token below is made for this run only):`);
      say(`  API=${api.url}; TOKEN=${api.token}`);
      say(`  curl -sS "$API/v1/jobs?team=${TEAM}" -H "Authorization: Bearer $TOKEN"`);
      say('Ctrl-C stops it.');
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()).once('SIGTERM', () => resolve()));
    }
  } finally {
    await teardown.run();
  }
}

/** A promise and whether it has ended yet. */
function tracked<T>(finished: Promise<T>): { finished: Promise<T>; ended: boolean } {
  const state = { finished, ended: false };
  void finished.finally(() => (state.ended = true)).catch(() => undefined);
  return state;
}

/**
 * The HTTP scene, beside the others: once the API is up, submits its job (which then joins the live
 * progress) and holds a long poll until it ends; answers with how the scene ended.
 */
async function runHttpScene(apiStarted: Promise<DemoApi>, ids: Map<string, DemoJob>, httpJob: DemoJob): Promise<SceneEnd> {
  const name = String(httpJob.spec.name);
  const end = (status?: JobStatus, problem?: string): SceneEnd => ({ name, label: httpJob.label, expected: 'SUCCEEDED', status, problem });
  let api: DemoApi;
  let jobId: string;
  try {
    api = await apiStarted;
    const submitted = await submitOverHttp(api, { team: TEAM, ...httpJob.spec }, `${name}.2026-11-20T10`);
    jobId = submitted.jobId;
    ids.set(jobId, httpJob);
    const repeat = submitted.repeatJobId === jobId ? 'the same job' : `ANOTHER job, ${submitted.repeatJobId}`;
    narrator.note(`submitted ${name} as ${jobId}: over HTTP, POST /v1/jobs with an Idempotency-Key answered ${submitted.firstStatus}; sent again, ${submitted.repeatStatus} with ${repeat}`);
    if (submitted.firstStatus !== 201 || submitted.repeatStatus !== 200 || submitted.repeatJobId !== jobId) {
      return end(undefined, `a repeated submit answered ${submitted.repeatStatus} with ${repeat}`);
    }
  } catch (err) {
    narrator.note(`${name}: the HTTP submit failed: ${(err as Error).message}`);
    return end(undefined, (err as Error).message);
  }
  const since = Date.now();
  try {
    const { status, polls } = await waitOverHttp(api, jobId);
    narrator.note(`${name}: ${status.state}: GET /v1/jobs/${jobId}/wait answered after ${formatDuration((Date.now() - since) / 1000)} (${polls} long poll${polls === 1 ? '' : 's'})`);
    return end(status);
  } catch (err) {
    narrator.note(`${name}: the long poll failed: ${(err as Error).message}`);
    return end(undefined, (err as Error).message);
  }
}

/** Runs the Airflow DAG against the demo's API once Airflow is installed and the API is up; answers with how the scene ended. */
async function runAirflowScene(venv: Promise<string>, apiStarted: Promise<DemoApi>, client: ShaleClient, logPath: string, teardown: Teardown): Promise<SceneEnd> {
  const end = (status?: JobStatus, problem?: string): SceneEnd => ({ name: 'airflow-daily-revenue', label: AIRFLOW_LABEL, expected: 'SUCCEEDED', status, problem });
  let python: string;
  let api: DemoApi;
  try {
    [python, api] = await Promise.all([venv, apiStarted]);
  } catch (err) {
    narrator.note(`Airflow: ${(err as Error).message}`);
    return end(undefined, `Airflow did not start: ${(err as Error).message}`);
  }
  narrator.note(`Airflow: DAG shale_demo (one deferred ShaleOperator task) runs against ${api.url}; its job's ID comes when the DAG run ends`);
  let run: AirflowRun;
  try {
    run = await runAirflowDag(ROOT, python, api, logPath, `${dirname(logPath)}/airflow-tmp`, teardown);
  } catch (err) {
    narrator.note(`Airflow: run_demo.py did not start: ${(err as Error).message}`);
    return end(undefined, 'run_demo.py did not start');
  }
  narrator.note(run.line);
  const status = run.jobId ? await client.status(run.jobId).catch(() => undefined) : undefined;
  return end(status, run.ok ? undefined : `run_demo.py failed: ${run.line}`);
}

/** Requests the simulators logged for the job's batches; '-' on a real Livy, which keeps no such log. */
function countCalls(sims: LivySimulator[], method: string, status: JobStatus): string {
  if (sims.length === 0) return '-';
  return String(status.attempts.reduce((n, a) => n + sims.reduce((m, sim) => m + sim.requests({ method, name: a.batchName }).length, 0), 0));
}

/** Live progress: a redrawn table on a terminal, a line per change otherwise. */
async function watch(
  client: ShaleClient,
  ids: Map<string, DemoJob>,
  clusterName: (id?: string) => string,
  /** Called with each status until it answers true: the scene's action (e.g. terminate the cluster). */
  onStatus?: (status: JobStatus) => Promise<boolean>,
): Promise<Map<string, JobStatus>> {
  let acted = false;
  const tty = narrator.tty;
  const latest = new Map<string, JobStatus>();
  const seen = new Map<string, string>();
  const cancelled = new Set<string>();
  let drawn = 0;
  narrator.setLiveTable(true);
  try {
    for (;;) {
      for (const jobId of ids.keys()) {
        if (latest.has(jobId) && isTerminalJobState(latest.get(jobId)!.state)) continue;
        const status = await client.status(jobId);
        latest.set(jobId, status);
        const a = status.attempts.at(-1);
        const line = `${status.name}: ${status.state}${a ? ` (attempt ${a.n} on ${clusterName(a.cluster)}, livy ${a.batchState ?? '-'})` : ''}`;
        if (!tty && seen.get(jobId) !== line) say(narrator.stamped(line));
        seen.set(jobId, line);
        if (onStatus && !acted && (await onStatus(status))) {
          acted = true;
          drawn = 0;
        }
        if (ids.get(jobId)!.cancelWhenRunning && status.state === 'RUNNING' && !cancelled.has(jobId)) {
          cancelled.add(jobId);
          const answer = await client.cancel(jobId, { reason: 'backfill started with the wrong date', requestedBy: 'oncall@acme' });
          say(narrator.stamped(`cancel ${status.name}: ${answer.message}`));
          drawn = 0;
        }
      }
      if (tty) {
        // Notes from the scenes running beside this one go above the table, which is then drawn afresh.
        if (narrator.flush()) drawn = 0;
        if (drawn) process.stdout.write(`\x1b[${drawn}A`);
        const lines = [...seen.values()].map((l) => `\x1b[2K  ${l}`);
        process.stdout.write(`${lines.join('\n')}\n`);
        drawn = lines.length;
      }
      if ([...latest.values()].every((s) => isTerminalJobState(s.state)) && latest.size === ids.size) return latest;
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    narrator.setLiveTable(false);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    // A refusal or a known start-up failure is one line; anything else keeps its stack for a bug report.
    console.error(`demo failed: ${err instanceof DemoRunningError ? err.message : err instanceof Error ? err.stack : err}`);
    process.exit(1);
  },
);
