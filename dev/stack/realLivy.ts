/**
 * A real Apache Livy 0.7.1-incubating with a real Spark 3.5 in local mode, for the real-Livy suite
 * (test/livy-real) and `make demo LIVY=real`. The parts come from dev/tools/install-livy.sh (cached in
 * .tools/); the conf is written here, per run, into a work folder:
 *
 *   conf/livy.conf              port, loopback, local[1], the local-file whitelist, state retention
 *   conf/log4j.properties       Livy's log to stderr, which goes to logs/livy.log
 *   spark-conf/spark-defaults   small memory, so two jobs fit on a small machine (SPARK_CONF_DIR)
 *
 * Every process this Livy starts (spark-submit JVMs, Python drivers and workers) inherits a marker
 * variable with this instance's id, so they are found by scanning /proc/<pid>/environ: that still works
 * after the Livy JVM was killed and its children were reparented to init.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pidAlive, sigkillAll, waitUntil } from './managedProcess';
import { freePort } from './ports';
import { installScript, printedPaths } from './tools';

export interface RealLivyOptions {
  /** Folders Livy takes local files from (livy.file.local-dir-whitelist); files elsewhere are refused. */
  allowedDirs: string[];
  /** livy.server.session.state-retain.sec (default 600, as Livy). */
  stateRetainSeconds?: number;
  port?: number; // default: a free port (dev/stack/ports.ts)
  workDir?: string; // conf, logs, Livy's files; default a fresh temp dir, removed by stop()
}

export interface RealLivy {
  url: string; // http://127.0.0.1:<port>
  port: number;
  pid: number; // the Livy JVM
  sparkHome: string;
  pysparkPython: string;
  logFile: string; // Livy server log (for failure messages)
  /** Graceful stop (SIGTERM): with recovery off Livy kills its running apps (LIVY.md). Resolves when gone. */
  stop(): Promise<void>;
  /** SIGKILL of the Livy JVM alone: its spark-submit children go on, untracked. */
  kill(): Promise<void>;
  /** Start again on the same port and conf, after stop() or kill(); resolves once it answers GET /batches. */
  start(): Promise<void>;
  /** pids of every process this Livy started (spark-submit JVMs, Python drivers), alive now. */
  sparkProcesses(): Promise<number[]>;
  /** stop(), then SIGKILL whatever sparkProcesses() still lists (local mode leaves Python drivers behind), and
   *  remove workDir if it made it. The teardown for tests. */
  close(): Promise<void>;
}

export interface RealLivyTools {
  livyHome: string;
  sparkHome: string;
  pysparkPython: string;
  javaHome: string;
}

const INSTALL_SCRIPT = installScript('install-livy.sh');

/** The variable every process of one RealLivy carries in its environment (value: that instance's id). */
export const REAL_LIVY_MARKER = 'SHALE_REAL_LIVY_ID';

const READY_TIMEOUT_MS = 60_000;
/** Livy's graceful stop kills its apps one by one (each up to a few seconds); past this it is SIGKILLed. */
const STOP_GRACE_MS = 30_000;

/**
 * Livy 0.7.1 is a Java 8 build; on Java 17 its Scala 2.11 runtime, Jetty and Hadoop's client reach into
 * java.base, which the module system refuses without these.
 */
const JVM_MODULE_FLAGS = [
  ...['java.lang', 'java.lang.invoke', 'java.nio', 'java.util.concurrent.atomic', 'sun.nio.ch', 'java.net', 'java.io', 'sun.util.calendar'].map(
    (pkg) => `--add-opens=java.base/${pkg}=ALL-UNNAMED`,
  ),
  ...['sun.net.dns', 'sun.net.util', 'sun.security.x509', 'sun.security.util'].map((pkg) => `--add-exports=java.base/${pkg}=ALL-UNNAMED`),
];

/**
 * Spark defaults for every batch: in local mode the driver JVM is spark-submit itself, so
 * spark.driver.memory is its heap. Measured with these (pi.py): spark-submit peaks at about 255 MiB RSS,
 * the Python driver about 36 MiB and each Python worker about 40 MiB; Livy itself about 170 MiB. So two
 * jobs and Livy fit in well under 1 GB.
 */
const SPARK_DEFAULTS: Record<string, string> = {
  'spark.driver.memory': '512m',
  // Fewer GC threads and less heap overhead than G1 on a 2-core machine; jobs here are tiny.
  'spark.driver.extraJavaOptions': '-XX:+UseSerialGC',
  // No UI: local mode shows no link to it anyway (appInfo.sparkUiUrl is null), and each one takes a port.
  'spark.ui.enabled': 'false',
  // The SQL runner's queries are small: 200 shuffle partitions would be 200 tasks on one core.
  'spark.sql.shuffle.partitions': '2',
};

let toolsPromise: Promise<RealLivyTools> | undefined;

/** The installed paths (installing on first use: minutes from nothing, milliseconds when cached). */
export function resolveRealLivyTools(): Promise<RealLivyTools> {
  toolsPromise ??= new Promise<RealLivyTools>((resolve, reject) => {
    execFile('bash', [INSTALL_SCRIPT, '--print'], { encoding: 'utf8', maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(stderr.trim() || `install-livy.sh failed: ${err.message}`));
      try {
        const { LIVY_HOME, SPARK_HOME, PYSPARK_PYTHON, JAVA_HOME } = printedPaths(INSTALL_SCRIPT, stdout, ['LIVY_HOME', 'SPARK_HOME', 'PYSPARK_PYTHON', 'JAVA_HOME']);
        resolve({ livyHome: LIVY_HOME, sparkHome: SPARK_HOME, pysparkPython: PYSPARK_PYTHON, javaHome: JAVA_HOME });
      } catch (parseErr) {
        reject(parseErr as Error);
      }
    });
  });
  toolsPromise.catch(() => (toolsPromise = undefined));
  return toolsPromise;
}

const toProperties = (entries: Record<string, string>) =>
  Object.entries(entries)
    .map(([key, value]) => `${key} = ${value}\n`)
    .join('');

/** Pids whose environment carries `marker=id` (processes of other users or gone meanwhile are skipped). */
function markedPids(id: string): number[] {
  const needle = Buffer.from(`${REAL_LIVY_MARKER}=${id}\0`);
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`);
      if (environ.includes(needle)) pids.push(Number(entry));
    } catch {
      // Gone since readdir, or not ours to read.
    }
  }
  return pids;
}

async function logTail(logFile: string, lines = 40): Promise<string> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export async function startRealLivy(options: RealLivyOptions): Promise<RealLivy> {
  if (options.allowedDirs.length === 0) throw new Error('startRealLivy: allowedDirs is empty (Livy would refuse every local file)');
  const tools = await resolveRealLivyTools();
  const ownsWorkDir = options.workDir === undefined;
  const workDir = options.workDir ?? (await mkdtemp(join(tmpdir(), 'shale-real-livy-')));
  const port = options.port ?? (await freePort());
  const id = randomBytes(8).toString('hex');
  const confDir = join(workDir, 'conf');
  const sparkConfDir = join(workDir, 'spark-conf');
  const logDir = join(workDir, 'logs');
  const sparkLocalDir = join(workDir, 'spark-local');
  const logFile = join(logDir, 'livy.log');
  await Promise.all([confDir, sparkConfDir, logDir, sparkLocalDir].map((dir) => mkdir(dir, { recursive: true })));

  await writeFile(
    join(confDir, 'livy.conf'),
    toProperties({
      'livy.server.host': '127.0.0.1',
      'livy.server.port': String(port),
      'livy.spark.master': 'local[1]',
      'livy.file.local-dir-whitelist': options.allowedDirs.join(','),
      // Livy 0.7.1 sweeps once a minute (not configurable): a finished batch goes between retain and
      // retain + 60 s after its end.
      'livy.server.session.state-retain.sec': `${options.stateRetainSeconds ?? 600}s`,
      // Explicit: the lifecycle tests rely on a restart forgetting every batch (ids start at 0 again).
      'livy.server.recovery.mode': 'off',
    }),
  );
  await writeFile(
    join(confDir, 'log4j.properties'),
    toProperties({
      'log4j.rootCategory': 'INFO, console',
      'log4j.appender.console': 'org.apache.log4j.ConsoleAppender',
      'log4j.appender.console.target': 'System.err',
      'log4j.appender.console.layout': 'org.apache.log4j.PatternLayout',
      'log4j.appender.console.layout.ConversionPattern': '%d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n',
    }),
  );
  await writeFile(
    join(sparkConfDir, 'spark-defaults.conf'),
    Object.entries({ ...SPARK_DEFAULTS, 'spark.local.dir': sparkLocalDir })
      .map(([key, value]) => `${key} ${value}\n`)
      .join(''),
  );

  // Inherited by spark-submit and the Python driver, which Livy starts with its own environment.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    JAVA_HOME: tools.javaHome,
    LIVY_HOME: tools.livyHome,
    LIVY_CONF_DIR: confDir, // Livy reads livy.conf from here, not from its classpath
    LIVY_LOG_DIR: logDir,
    SPARK_HOME: tools.sparkHome,
    SPARK_CONF_DIR: sparkConfDir,
    PYSPARK_PYTHON: tools.pysparkPython,
    // Loopback only, and no "hostname resolves to a loopback address" warning in every job's log.
    SPARK_LOCAL_IP: '127.0.0.1',
    [REAL_LIVY_MARKER]: id,
  };
  // These would send the Python driver to another interpreter than the venv's.
  delete env.PYSPARK_DRIVER_PYTHON;
  delete env.PYTHONHOME;

  const livyPids = new Set<number>();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;

  const start = async (): Promise<void> => {
    if (running()) throw new Error(`real Livy: start() while it runs (pid ${child!.pid})`);
    const fd = openSync(logFile, 'a');
    writeSync(fd, `\n==== real Livy starting on port ${port} at ${new Date().toISOString()} ====\n`);
    const java = join(tools.javaHome, 'bin', 'java');
    const args = ['-Xmx256m', '-XX:+UseSerialGC', ...JVM_MODULE_FLAGS, '-cp', `${join(tools.livyHome, 'jars', '*')}:${confDir}`, 'org.apache.livy.server.LivyServer'];
    const proc = spawn(java, args, { cwd: workDir, env, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    child = proc;
    exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      proc.once('spawn', resolve);
      proc.once('error', reject);
    });
    livyPids.add(proc.pid!);
    const url = `http://127.0.0.1:${port}/batches`;
    const ready = await waitUntil(async () => {
      if (!running()) return true;
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
        await response.body?.cancel();
        return response.status === 200;
      } catch {
        return false;
      }
    }, READY_TIMEOUT_MS);
    if (ready && running()) return;
    const why = running() ? `did not answer GET /batches within ${READY_TIMEOUT_MS / 1000} s` : `exited (${proc.exitCode ?? proc.signalCode})`;
    if (running()) {
      proc.kill('SIGKILL');
      await exited;
    }
    throw new Error(`real Livy on port ${port} ${why}; the end of ${logFile}:\n${await logTail(logFile)}`);
  };

  const signalLivy = async (signal: NodeJS.Signals, graceMs: number): Promise<void> => {
    if (!running()) return;
    const proc = child!;
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };

  const sparkProcesses = async (): Promise<number[]> => markedPids(id).filter((pid) => !livyPids.has(pid) && pidAlive(pid));

  const killEverything = () => {
    // A test process that exits without close() must not leave a Livy and its Spark apps behind.
    if (running()) child!.kill('SIGKILL');
    sigkillAll(markedPids(id));
  };
  process.once('exit', killEverything);

  const close = async (): Promise<void> => {
    await signalLivy('SIGTERM', STOP_GRACE_MS);
    sigkillAll(await sparkProcesses());
    await waitUntil(async () => (await sparkProcesses()).length === 0, 10_000);
    process.removeListener('exit', killEverything);
    if (ownsWorkDir) await rm(workDir, { recursive: true, force: true });
  };

  try {
    await start();
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get pid() {
      return child!.pid!;
    },
    sparkHome: tools.sparkHome,
    pysparkPython: tools.pysparkPython,
    logFile,
    stop: () => signalLivy('SIGTERM', STOP_GRACE_MS),
    kill: () => signalLivy('SIGKILL', 0),
    start,
    sparkProcesses,
    close,
  };
}
