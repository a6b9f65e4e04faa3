/**
 * `make demo LIVY=real` (`--livy real`): the demo's jobs on one real Apache Livy 0.7.1 with Spark 3.5 in
 * local mode (dev/stack/realLivy.ts, installed by dev/tools/install-livy.sh) instead of the simulators.
 * The jobs run real files: dev/spark-apps/pi.py and the SQL runner Shale ships
 * (activities/livy/sql_runner.py). Scenes that need the simulator's fault injection or an EMR cluster
 * that can be lost are skipped, each with a line saying why.
 */
import { join } from 'node:path';
import { SIZE_PRESETS } from '../../contract/sizing';

export type LivyMode = 'sim' | 'real';

/** `--livy sim|real` (default sim); anything else is refused before the stack starts. */
export function livyModeOf(argv: string[]): LivyMode {
  const index = argv.indexOf('--livy');
  if (index < 0) return 'sim';
  const value = argv[index + 1];
  if (value === 'sim' || value === 'real') return value;
  throw new Error(`--livy must be 'sim' or 'real', got '${value ?? ''}'`);
}

interface RealDemoJob {
  label: string;
  spec: Record<string, unknown>;
  cancelWhenRunning?: boolean;
}

/** What the real Livy's jobs may read (livy.file.local-dir-whitelist). */
export function realLivyAllowedDirs(root: string): string[] {
  return [join(root, 'dev/spark-apps'), join(root, 'activities/livy')];
}

export function realSqlRunnerUri(root: string): string {
  return `file://${join(root, 'activities/livy/sql_runner.py')}`;
}

/**
 * Every size preset made small: in local mode the driver is the spark-submit JVM on this machine, and the
 * presets' gigabytes (DEFAULT asks for a 4g driver) would be its heap.
 */
export const LOCAL_SIZES = Object.fromEntries(
  SIZE_PRESETS.map((preset) => [preset, { driverMemory: '512m', driverCores: 1, executorMemory: '512m', executorCores: 1, minExecutors: 0, maxExecutors: 1 }]),
);

export function realDemoJobs(root: string): { jobs: RealDemoJob[]; http: RealDemoJob } {
  const pi = `file://${join(root, 'dev/spark-apps/pi.py')}`;
  return {
    jobs: [
      { label: 'succeeds on Spark 3 (pi.py)', spec: { name: 'daily-revenue', kind: 'pyspark', file: pi, args: ['200000'], route: { sparkVersion: '3' } } },
      { label: 'SQL through the runner', spec: { name: 'answer-sql', kind: 'sql', sql: 'SELECT 6 * 7 AS answer', route: { sparkVersion: '3' } } },
      {
        label: 'cancelled while running',
        // Far more samples than it will get through: it is cancelled as soon as it runs.
        spec: { name: 'wrong-backfill', kind: 'pyspark', file: pi, args: ['2000000000'], route: { sparkVersion: '3' } },
        cancelWhenRunning: true,
      },
    ],
    http: { label: 'over HTTP: key, long poll', spec: { name: 'hourly-sessions', kind: 'pyspark', file: pi, args: ['100000'], route: { sparkVersion: '3' } } },
  };
}

/** The simulator-only scenes, and why each is left out on a real Livy. */
export const SKIPPED_ON_REAL_LIVY: { label: string; why: string }[] = [
  { label: 'succeeds on Spark 2 (EMR 5)', why: 'the real Livy runs Spark 3.5 only' },
  { label: 'app fails, retried, succeeds', why: 'fault injection: only the simulator fails an attempt on request (shale.sim.outcomes)' },
  { label: 'cluster terminated, fails over', why: 'EMR loss: it needs a second cluster and a Livy that goes down with the first' },
];

export const AIRFLOW_SKIPPED_ON_REAL_LIVY = "the DAG's job runs s3://acme-jobs/revenue/daily.py with simulator conf, which a real Livy cannot run";
