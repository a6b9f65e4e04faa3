/**
 * The local stack behind the HTTP API, for the Airflow provider's tests, the API checks and anyone
 * trying the API by hand: a Temporal dev server, moto's EMR API with two EMR clusters whose Livy is
 * simulated (Spark 2 / EMR 5 and Spark 3 / EMR 6), a Shale worker and the HTTP API, configured with
 * a generated principals file (fresh random tokens each start):
 *
 *   admin      every team, role admin
 *   submitter  --team (default analytics): read, submit, cancel
 *   reader     --team: read
 *   other      --other-team (default marketing): read, submit, cancel
 *
 * When everything is up it prints ONE JSON line on stdout:
 *   { temporalAddress, namespace, taskQueue, apiUrl, team, otherTeam, tokens: {admin, submitter, reader, other},
 *     simulators: [{ name, url, clusterId, clusterName, sparkVersion }], motoEndpoint, configPath }
 * (logs go to stderr). It stops everything, leaving no process behind, on SIGTERM, SIGINT, or when
 * its stdin closes (if stdin is a pipe: a parent that dies takes the stack with it).
 *
 *   node --import tsx dev/stack/localStack.ts [--team analytics] [--other-team marketing] [--api-port 0] [--rate-limit 600]
 *
 * (`npx tsx …` works too, but npx does not pass SIGTERM on to the stack: close its stdin, or signal
 * the node process itself.)
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { stringify as toYaml } from 'yaml';
import { startApiFromConfig, type ApiProcess } from '../../api/main';
import { loadWorkerConfig } from '../../worker/config';
import { createShaleWorker, type ShaleWorker } from '../../worker/createWorker';
import { installWorkerRuntime } from '../../worker/runtime';
import { startLivySimulator, type LivySimulator } from '../livy-sim';
import { startDevServer, type DevServer } from './devServer';
import { createCluster, motoEmrClient } from './emrClusters';
import { MOTO_ENV, startMoto, type MotoServer } from './moto';
import { stdinIsPipe } from './processes';

/** Only this stack's clusters are Shale's (emr.requiredTags). */
const STACK_TAG = { 'shale:local-stack': 'true' };
const log = (line: string) => process.stderr.write(`local stack: ${line}\n`);

interface Running {
  server?: DevServer;
  moto?: MotoServer;
  sims: LivySimulator[];
  worker?: ShaleWorker;
  workerRun?: Promise<void>;
  api?: ApiProcess;
  dir?: string;
}

async function stopAll(running: Running): Promise<void> {
  // Reverse order: nothing new comes in, the worker drains, then the servers go.
  await running.api?.stop().catch((err) => log(`API stop: ${(err as Error).message}`));
  if (running.worker) {
    try {
      running.worker.shutdown();
    } catch {
      // Already draining: the Temporal Runtime shuts workers down on SIGTERM/SIGINT itself.
    }
    await running.workerRun?.catch(() => undefined);
  }
  await Promise.all(running.sims.map((sim) => sim.close().catch(() => undefined)));
  await Promise.all([running.server?.stop().catch(() => undefined), running.moto?.stop().catch(() => undefined)]);
  if (running.dir) await rm(running.dir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      team: { type: 'string', default: 'analytics' },
      'other-team': { type: 'string', default: 'marketing' },
      'api-port': { type: 'string', default: '0' },
      'rate-limit': { type: 'string', default: '600' },
    },
    strict: true,
  });
  const team = values.team!;
  const otherTeam = values['other-team']!;
  const running: Running = { sims: [] };
  let stopping: Promise<void> | undefined;
  const stop = (why: string) => {
    if (!stopping) {
      log(`stopping (${why})`);
      stopping = stopAll(running).then(
        () => process.exit(0),
        (err) => (log(`stop failed: ${(err as Error).message}`), process.exit(1)),
      );
    }
    return stopping;
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  if (stdinIsPipe()) {
    process.stdin.on('data', () => undefined);
    process.stdin.once('end', () => void stop('stdin closed'));
    process.stdin.once('close', () => void stop('stdin closed'));
  }

  try {
    running.dir = await mkdtemp(join(tmpdir(), 'shale-local-stack-'));
    [running.server, running.moto] = await Promise.all([startDevServer(), startMoto()]);
    const spark2 = await startLivySimulator({ name: 'emr5-spark2', startingMs: 200 });
    running.sims.push(spark2);
    const spark3 = await startLivySimulator({ name: 'emr6-spark3', startingMs: 200 });
    running.sims.push(spark3);
    const emr = motoEmrClient(running.moto.endpoint);
    const clusters = [
      { sim: spark2, name: 'etl-emr5', sparkVersion: '2', releaseLabel: 'emr-5.36.0' },
      { sim: spark3, name: 'etl-emr6', sparkVersion: '3', releaseLabel: 'emr-6.15.0' },
    ];
    const simulators = [];
    for (const c of clusters) {
      const clusterId = await createCluster(emr, { name: c.name, releaseLabel: c.releaseLabel, livyUrl: c.sim.url, tags: STACK_TAG });
      simulators.push({ name: `${c.name}-livy`, url: c.sim.url, clusterId, clusterName: c.name, sparkVersion: c.sparkVersion });
    }
    emr.destroy();

    const tokens = { admin: '', submitter: '', reader: '', other: '' };
    for (const name of Object.keys(tokens) as (keyof typeof tokens)[]) tokens[name] = `shale-${name}-${randomBytes(18).toString('hex')}`;
    const sha = (token: string) => createHash('sha256').update(token).digest('hex');
    const taskQueue = 'shale';
    const configPath = join(running.dir, 'shale.yaml');
    await writeFile(
      configPath,
      toYaml({
        temporal: { address: running.server.address, namespace: 'default', taskQueue },
        emr: {
          enabled: true,
          endpoint: running.moto.endpoint,
          region: MOTO_ENV.AWS_REGION,
          cacheTtlMs: 1000,
          stateCheckIntervalMs: 1000,
          requiredTags: STACK_TAG,
          tagUrlAllowlist: ['http://127.0.0.1:*'],
        },
        livy: { pollIntervalMs: 250, failoverAfterUnreachableSeconds: 10 },
        worker: { shutdownGraceSeconds: 2 },
        sqlRunnerUri: 's3://acme-platform/shale/sql_runner.py',
        api: {
          host: '127.0.0.1',
          port: Number(values['api-port']),
          rateLimit: { max: Number(values['rate-limit']), windowSeconds: 60 },
          principals: [
            { name: 'admin', teams: ['*'], roles: ['admin'], tokenSha256: sha(tokens.admin) },
            { name: `${team}-submitter`, teams: [team], roles: ['read', 'submit', 'cancel'], tokenSha256: sha(tokens.submitter) },
            { name: `${team}-reader`, teams: [team], roles: ['read'], tokenSha256: sha(tokens.reader) },
            { name: `${otherTeam}-submitter`, teams: [otherTeam], roles: ['read', 'submit', 'cancel'], tokenSha256: sha(tokens.other) },
          ],
        },
      }),
    );

    // The worker runs in this process (one process less to leave behind); EMR calls go to moto.
    Object.assign(process.env, MOTO_ENV);
    const workerConfig = await loadWorkerConfig(configPath);
    installWorkerRuntime({ logLevel: 'WARN', destination: process.stderr });
    running.worker = await createShaleWorker(workerConfig, { identity: `local-stack-worker@${process.pid}` });
    running.workerRun = running.worker.run();
    running.workerRun.catch((err) => void stop(`worker failed: ${(err as Error).message}`));

    running.api = await startApiFromConfig(configPath, {}, process.env, pino({ name: 'shale-api', level: 'warn' }, process.stderr));
    if (stopping) return;
    process.stdout.write(
      `${JSON.stringify({
        temporalAddress: running.server.address,
        namespace: 'default',
        taskQueue,
        apiUrl: running.api.api.url,
        team,
        otherTeam,
        tokens,
        simulators,
        motoEndpoint: running.moto.endpoint,
        configPath,
      })}\n`,
    );
    log(`ready: API ${running.api.api.url}, Temporal ${running.server.address}`);
  } catch (err) {
    log(`failed to start: ${(err as Error).stack ?? String(err)}`);
    await stopAll(running).catch(() => undefined);
    process.exit(1);
  }
}

await main();
