/**
 * CPU per job of validating a spec in the workflow sandbox versus in the validateJob activity.
 *
 * The Temporal worker's reusable V8 context keeps one webpack module cache per workflow, so code
 * a workflow imports is evaluated again for every new job and every replay after eviction. The
 * sandbox figure is that: the contract's jobSpec module (zod, the schemas) evaluated in a vm
 * context from a compiled script, then one parse. The activity figure is what validateJob does in
 * the worker's own isolate, where the module is loaded once: parse, team policy, fingerprint.
 * Neither counts the activity task's round trip through Temporal.
 *
 *   node --import tsx bench/specValidationCpu.ts [runs]
 */
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { build } from 'esbuild';
import { DEFAULT_SIZE_SETTINGS, parseJobSpec, specFingerprint, type JobSpec } from '../contract';
import { policyRefusals } from '../activities/policy/teamPolicy';

const runs = Number(process.argv[2] ?? 10_000);

/** A spec as an Airflow task would send it: a dozen conf keys, args, files, labels, a route. */
const SPEC = {
  name: 'daily revenue rollup',
  team: 'analytics',
  kind: 'pyspark',
  file: 's3://acme-jobs/analytics/revenue/rollup.py',
  pyFiles: ['s3://acme-jobs/analytics/lib/common-2.3.1.zip'],
  args: ['--date', '2024-06-01', '--region', 'eu-west-1', '--output', 's3://acme-lake/revenue/daily/'],
  files: ['s3://acme-jobs/analytics/revenue/rates.csv'],
  conf: {
    'spark.sql.shuffle.partitions': '400',
    'spark.sql.adaptive.enabled': 'true',
    'spark.sql.adaptive.coalescePartitions.enabled': 'true',
    'spark.sql.sources.partitionOverwriteMode': 'dynamic',
    'spark.sql.session.timeZone': 'UTC',
    'spark.serializer': 'org.apache.spark.serializer.KryoSerializer',
    'spark.speculation': 'false',
    'spark.hadoop.mapreduce.fileoutputcommitter.algorithm.version': '2',
    'spark.sql.parquet.compression.codec': 'zstd',
    'spark.network.timeout': '300s',
  },
  size: 'LARGE',
  route: { sparkVersion: '3', pool: 'etl' },
  retry: { app: 1, infra: 3, initialBackoff: '1m', maxBackoff: '10m' },
  timeouts: { queue: '2h', run: '6h' },
  labels: { 'airflow/dag_id': 'revenue_daily', 'airflow/task_id': 'rollup', 'airflow/run_id': 'scheduled__2024-06-01T00:00:00+00:00' },
  requestedBy: 'airflow@scheduler-1',
};
const TEAMS = { analytics: { maxSize: 'LARGE' as const }, '*': { maxSize: 'DEFAULT' as const } };

/** Mean CPU (user + system) per call, in ms, after a warm-up. */
function cpuPerCall(label: string, n: number, work: () => void): { label: string; ms: number } {
  for (let i = 0; i < Math.min(200, n); i++) work();
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) work();
  const used = process.cpuUsage(start);
  return { label, ms: (used.user + used.system) / 1000 / n };
}

async function sandboxedJobSpecModule(): Promise<vm.Script> {
  const entry = fileURLToPath(new URL('../contract/jobSpec.ts', import.meta.url));
  const result = await build({ entryPoints: [entry], bundle: true, write: false, format: 'iife', globalName: 'jobSpecModule', platform: 'neutral', mainFields: ['module', 'main'] });
  return new vm.Script(result.outputFiles[0]!.text, { filename: 'jobSpec.bundle.js' });
}

async function main() {
  const script = await sandboxedJobSpecModule();
  const context = vm.createContext({});
  const input = () => JSON.parse(JSON.stringify(SPEC)) as unknown; // what a payload decodes to
  const parsed = parseJobSpec(input());
  if (!parsed.ok) throw new Error(`the bench spec is invalid: ${JSON.stringify(parsed.errors)}`);
  const spec: JobSpec = parsed.spec;

  const sandboxRuns = Math.max(1, Math.floor(runs / 5));
  const rows = [
    cpuPerCall('workflow sandbox: evaluate jobSpec module (zod) + parse, per job', sandboxRuns, () => {
      script.runInContext(context);
      (context as { jobSpecModule: { parseJobSpec(v: unknown): unknown } }).jobSpecModule.parseJobSpec(input());
    }),
    cpuPerCall('workflow sandbox: parse only (module already loaded)', runs, () => {
      (context as { jobSpecModule: { parseJobSpec(v: unknown): unknown } }).jobSpecModule.parseJobSpec(input());
    }),
    cpuPerCall('before: fingerprint check of a vouched spec (no validation)', runs, () => void specFingerprint(input() as JobSpec)),
    cpuPerCall('validateJob activity: parse + team policy + fingerprint', runs, () => {
      const result = parseJobSpec(input());
      if (result.ok) {
        policyRefusals(result.spec, TEAMS, DEFAULT_SIZE_SETTINGS);
        specFingerprint(result.spec);
      }
    }),
    cpuPerCall('  of which parseJobSpec', runs, () => void parseJobSpec(input())),
    cpuPerCall('  of which team policy', runs, () => void policyRefusals(spec, TEAMS, DEFAULT_SIZE_SETTINGS)),
    cpuPerCall('  of which fingerprint', runs, () => void specFingerprint(spec)),
  ];
  process.stdout.write(`spec validation CPU per job (${runs} runs; sandbox module evaluation ${sandboxRuns} runs), node ${process.version}\n`);
  for (const row of rows) process.stdout.write(`${row.ms.toFixed(3).padStart(8)} ms  ${row.label}\n`);
}

await main();
