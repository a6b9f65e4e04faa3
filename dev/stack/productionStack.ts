/**
 * The production-shaped stack of docker-compose.yml, without Docker: PostgreSQL, two Temporal server
 * processes sharing it (each a full copy: frontend, history, matching, worker), Shale workers as
 * real `shale worker --config` processes (worker i on server i % 2) and the HTTP API process, each
 * on its own loopback ports. Tests SIGKILL and restart any part (ManagedProcess) to show that no
 * job is lost and no second batch is made.
 *
 * As a script (`make stack`) it starts the stack with two Livy simulators, prints a summary on
 * stderr and ONE JSON line on stdout, and stops everything, leaving no process behind, on SIGINT,
 * SIGTERM, or when its stdin closes (if stdin is a pipe):
 *
 *   node --import tsx dev/stack/productionStack.ts [--workers 2] [--no-api] [--dir <state dir, kept>]
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify as toYaml } from 'yaml';
import { writeWorkflowBundle } from '../../worker/bundleWorkflows';
import { DEFAULT_READY_TIMEOUT_MS, ManagedChild, waitUntil, type ManagedProcess } from './managedProcess';
import { freePort, waitForPort } from './ports';
import { startPostgres, type PostgresServer } from './postgres';
import { stdinIsPipe } from './processes';
import { registerNamespace, resolveTemporalServerTools, setUpTemporalSchema, temporalServerProcess, waitForNamespace, type TemporalServerProcess } from './temporalServer';

export type { ManagedProcess } from './managedProcess';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'client/cli.ts');
/** worker/main.ts prints this once the worker polls. */
const WORKER_READY_LINE = 'shale worker: namespace';

export interface ClusterInput {
  id: string;
  livyUrl: string;
  sparkVersion: '2' | '3';
  pool?: string;
  name?: string;
  /** YARN's ResourceManager REST URL, where a batch Livy forgot is looked up (the simulator serves it on Livy's URL). */
  resourceManagerUrl?: string;
}

export interface ProductionStackOptions {
  /** The Livy endpoints the workers use. */
  clusters: ClusterInput[];
  /** Default 2 (real `shale worker --config` processes). */
  workers?: number;
  /** Default true: the HTTP API process with generated tokens. */
  api?: boolean;
  /** Merged over the generated worker config (objects key by key, e.g. livy poll intervals). */
  workerConfig?: Record<string, unknown>;
  /** State dir (configs, logs, workflow bundle); default a fresh temp dir, removed by stop(). A given dir is kept. */
  dir?: string;
}

export interface ProductionStack {
  /** Frontend host:port of server 1 and server 2. */
  temporalAddresses: [string, string];
  /** 'default' */
  namespace: string;
  taskQueue: string;
  apiUrl?: string;
  /** Principal name -> token (admin, submitter, reader, other), as in localStack.ts. */
  tokens?: Record<string, string>;
  /** A 0600 file with apiUrl and tokens, for people (make stack). */
  tokensFile?: string;
  postgres: ManagedProcess & { restart(): Promise<void>; port: number };
  servers: [ManagedProcess, ManagedProcess];
  /** Worker i connects to temporalAddresses[i % 2]. */
  workers: ManagedProcess[];
  api?: ManagedProcess;
  dir: string;
  /** How long each start-up step took, ms, in order (tools, postgres+bundle, schema, server-1, ...). */
  startupMs: Record<string, number>;
  stop(): Promise<void>;
}

export const NAMESPACE = 'default';
export const TASK_QUEUE = 'shale';
const TEAM = 'analytics';
const OTHER_TEAM = 'marketing';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `over` merged into `base`, objects key by key (arrays and values replace). */
export function mergeConfig(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? mergeConfig(current, value) : value;
  }
  return out;
}

/** Resident memory of a process in MiB, from /proc (0 if it is gone). */
export function rssMiB(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : 0;
  } catch {
    return 0;
  }
}

interface Parts {
  postgres?: PostgresServer;
  servers: TemporalServerProcess[];
  workers: ManagedChild[];
  api?: ManagedChild;
}

async function stopParts(parts: Parts): Promise<void> {
  // Reverse order: nothing new comes in, the workers drain, then the servers and the database go.
  await parts.api?.stop(5_000);
  await Promise.all(parts.workers.map((worker) => worker.stop(15_000)));
  await Promise.all(parts.servers.map((server) => server.stop(10_000)));
  await parts.postgres?.stop();
}

export async function startProductionStack(options: ProductionStackOptions): Promise<ProductionStack> {
  const dir = options.dir ? resolve(options.dir) : await mkdtemp(join(tmpdir(), 'shale-production-stack-'));
  const ownDir = options.dir === undefined;
  const logs = join(dir, 'logs');
  await mkdir(logs, { recursive: true });
  const parts: Parts = { servers: [], workers: [] };
  const startupMs: Record<string, number> = {};
  let stepStart = Date.now();
  const step = (name: string) => {
    startupMs[name] = Date.now() - stepStart;
    stepStart = Date.now();
  };
  try {
    // Builds the server (minutes, once per version) before anything starts, so no part waits on it.
    resolveTemporalServerTools();
    step('tools');
    const [postgres, bundle] = await Promise.all([startPostgres(), writeWorkflowBundle(join(dir, 'workflow-bundle.js'))]);
    parts.postgres = postgres;
    step('postgres (initdb) + workflow bundle');
    await setUpTemporalSchema(postgres);
    step('schema');

    // One after the other: the first to start writes the cluster's metadata into the empty database.
    for (const index of [1, 2]) {
      const server = await temporalServerProcess({ name: `temporal-server-${index}`, postgres, logFile: join(logs, `temporal-server-${index}.log`) });
      parts.servers.push(server);
      await server.start();
      if (index === 1) await registerNamespace(server.address, NAMESPACE);
      step(index === 1 ? 'temporal-server-1 + namespace' : 'temporal-server-2');
    }
    const temporalAddresses = parts.servers.map((server) => server.address) as [string, string];
    await Promise.all(temporalAddresses.map((address) => waitForNamespace(address, NAMESPACE)));
    step('namespace on both');

    const clusters = options.clusters.map(({ id, livyUrl, sparkVersion, pool, resourceManagerUrl }) => ({
      id,
      livyUrl,
      sparkVersion,
      ...(pool ? { pool } : {}),
      ...(resourceManagerUrl ? { resourceManagerUrl } : {}),
    }));
    const workerCount = options.workers ?? 2;
    for (let i = 0; i < workerCount; i++) {
      const name = `shale-worker-${i + 1}`;
      const configFile = join(dir, `${name}.json`);
      const config = mergeConfig(
        {
          temporal: { address: temporalAddresses[i % 2], namespace: NAMESPACE, taskQueue: TASK_QUEUE },
          clusters,
          livy: { pollIntervalMs: 500 },
          worker: { logLevel: 'INFO', shutdownGraceSeconds: 5 },
        },
        options.workerConfig ?? {},
      );
      await writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`);
      parts.workers.push(
        new ManagedChild({
          name,
          command: process.execPath,
          args: ['--import', 'tsx', CLI, 'worker', '--config', configFile],
          cwd: ROOT,
          env: { SHALE_WORKFLOW_BUNDLE: bundle.path },
          logFile: join(logs, `${name}.log`),
          // Bounded like ManagedChild's own ready timeout, so the poll ends when the start is given up.
          ready: async (output) => {
            if (!(await waitUntil(() => output().includes(WORKER_READY_LINE), DEFAULT_READY_TIMEOUT_MS))) throw new Error(`${name} never logged '${WORKER_READY_LINE}'`);
          },
        }),
      );
    }
    await Promise.all(parts.workers.map((worker) => worker.start()));
    step('workers');

    let tokens: Record<string, string> | undefined;
    let apiUrl: string | undefined;
    let tokensFile: string | undefined;
    if (options.api ?? true) {
      tokens = Object.fromEntries(['admin', 'submitter', 'reader', 'other'].map((name) => [name, `shale-${name}-${randomBytes(18).toString('hex')}`]));
      const sha = (token: string) => createHash('sha256').update(token).digest('hex');
      const port = await freePort();
      apiUrl = `http://127.0.0.1:${port}`;
      const configFile = join(dir, 'shale-api.yaml');
      await writeFile(
        configFile,
        toYaml({
          temporal: { address: temporalAddresses[0], namespace: NAMESPACE, taskQueue: TASK_QUEUE },
          api: {
            host: '127.0.0.1',
            port,
            principals: [
              { name: 'admin', teams: ['*'], roles: ['admin'], tokenSha256: sha(tokens.admin!) },
              { name: `${TEAM}-submitter`, teams: [TEAM], roles: ['read', 'submit', 'cancel'], tokenSha256: sha(tokens.submitter!) },
              { name: `${TEAM}-reader`, teams: [TEAM], roles: ['read'], tokenSha256: sha(tokens.reader!) },
              { name: `${OTHER_TEAM}-submitter`, teams: [OTHER_TEAM], roles: ['read', 'submit', 'cancel'], tokenSha256: sha(tokens.other!) },
            ],
          },
        }),
      );
      tokensFile = join(dir, 'api-tokens.json');
      await writeFile(tokensFile, `${JSON.stringify({ apiUrl, team: TEAM, otherTeam: OTHER_TEAM, tokens }, null, 2)}\n`, { mode: 0o600 });
      parts.api = new ManagedChild({
        name: 'shale-api',
        command: process.execPath,
        args: ['--import', 'tsx', CLI, 'api', '--config', configFile],
        cwd: ROOT,
        env: { SHALE_LOG_LEVEL: 'warn' },
        logFile: join(logs, 'shale-api.log'),
        ready: () => waitForPort(port, 60_000),
      });
      await parts.api.start();
      step('api');
    }

    let stopped: Promise<void> | undefined;
    return {
      temporalAddresses,
      namespace: NAMESPACE,
      taskQueue: TASK_QUEUE,
      apiUrl,
      tokens,
      tokensFile,
      postgres,
      servers: parts.servers as [TemporalServerProcess, TemporalServerProcess],
      workers: parts.workers,
      api: parts.api,
      dir,
      startupMs,
      stop() {
        stopped ??= stopParts(parts).then(() => (ownDir ? rm(dir, { recursive: true, force: true }) : undefined));
        return stopped;
      },
    };
  } catch (err) {
    await stopParts(parts).catch(() => undefined);
    if (ownDir) await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { workers: { type: 'string', default: '2' }, 'no-api': { type: 'boolean', default: false }, dir: { type: 'string' } },
    strict: true,
  });
  // A terminal or pipe that went away (Ctrl-C reaches `make stack | tee` too) must not kill the script
  // before it stopped the stack: writes to it fail with EPIPE, which is ignored.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  const log = (line: string) => process.stderr.write(`production stack: ${line}\n`);
  const { startLivySimulator } = await import('../livy-sim');
  const sims: Awaited<ReturnType<typeof startLivySimulator>>[] = [];
  let stack: ProductionStack | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (why: string, exitCode = 0) => {
    stopping ??= (async () => {
      log(`stopping (${why})`);
      await stack?.stop();
      await Promise.all(sims.map((sim) => sim.close().catch(() => undefined)));
      log('stopped');
    })().then(
      () => process.exit(exitCode),
      (err: unknown) => (log(`stop failed: ${(err as Error).message}`), process.exit(1)),
    );
    return stopping;
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGHUP', () => void stop('SIGHUP'));
  // Whatever goes wrong in this process, the stack's processes (in process groups of their own) go with it.
  process.on('uncaughtException', (err) => void stop(`uncaught ${err.message}`, 1));
  process.on('unhandledRejection', (err) => void stop(`unhandled ${(err as Error)?.message ?? String(err)}`, 1));
  if (stdinIsPipe()) {
    process.stdin.on('data', () => undefined);
    process.stdin.once('end', () => void stop('stdin closed'));
  }

  const started = Date.now();
  try {
    log('starting PostgreSQL, two Temporal servers, Shale workers, the HTTP API and two Livy simulators');
    sims.push(await startLivySimulator({ name: 'sim-spark2', startingMs: 200 }));
    sims.push(await startLivySimulator({ name: 'sim-spark3', startingMs: 200 }));
    const clusters: ClusterInput[] = [
      { id: 'sim-emr5-spark2', livyUrl: sims[0]!.url, resourceManagerUrl: sims[0]!.url, sparkVersion: '2' },
      { id: 'sim-emr6-spark3', livyUrl: sims[1]!.url, resourceManagerUrl: sims[1]!.url, sparkVersion: '3' },
    ];
    stack = await startProductionStack({ clusters, workers: Number(values.workers), api: !values['no-api'], dir: values.dir });
    if (stopping) return;
    const s = stack;
    const processes = [s.postgres, ...s.servers, ...s.workers, ...(s.api ? [s.api] : [])].map((p) => ({ name: p.name, pid: p.pid, rssMiB: rssMiB(p.pid) }));
    const summary = [
      `ready in ${((Date.now() - started) / 1000).toFixed(1)} s (state dir ${s.dir})`,
      `  Temporal frontends  ${s.temporalAddresses.join('  ')}   namespace ${s.namespace}, task queue ${s.taskQueue}`,
      `  PostgreSQL          127.0.0.1:${s.postgres.port} (login temporal; its password is in the servers' environment only)`,
      ...(s.apiUrl ? [`  HTTP API            ${s.apiUrl}   tokens: ${s.tokensFile}`] : []),
      `  Livy simulators     ${clusters.map((c) => `${c.id} ${c.livyUrl}`).join('  ')}`,
      ...processes.map((p) => `  ${p.name.padEnd(20)}pid ${String(p.pid).padEnd(8)} ${p.rssMiB} MiB`),
      `  start-up            ${Object.entries(s.startupMs).map(([name, ms]) => `${name} ${(ms / 1000).toFixed(1)} s`).join(', ')}`,
      `  logs                ${join(s.dir, 'logs')}`,
      `  try                 SHALE_TEMPORAL_ADDRESS=${s.temporalAddresses[0]} bin/shale list`,
      `  stop                Ctrl-C (or kill -TERM ${process.pid}); everything above stops with it`,
    ];
    log(summary.join('\n'));
    process.stdout.write(
      `${JSON.stringify({
        temporalAddresses: s.temporalAddresses,
        namespace: s.namespace,
        taskQueue: s.taskQueue,
        postgresPort: s.postgres.port,
        apiUrl: s.apiUrl,
        tokensFile: s.tokensFile,
        clusters,
        processes,
        startupMs: s.startupMs,
        dir: s.dir,
        pid: process.pid,
      })}\n`,
    );
  } catch (err) {
    log(`failed to start: ${(err as Error).stack ?? String(err)}`);
    await stop('start-up failed', 1);
  }
}

// Run as a script (make stack), not when imported by tests.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
