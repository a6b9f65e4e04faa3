/**
 * `make bench` (full) and `make bench QUICK=1` (small, under two minutes): every figure of the
 * performance issue measured in one run against the dev server, real workers and the Livy
 * simulator, printed as one table and written as JSON under bench/results/.
 * `--check` exits 1 if any figure was not produced (make test runs the quick bench with it).
 */
import { cpus, totalmem } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { measureHistory } from './scenarios/history';
import { measureRunningJobs } from './scenarios/runningJobs';
import { measureCapacity } from './scenarios/capacity';
import { measureThroughput } from './scenarios/throughput';
import { formatTable, missingFigures, rows, type BenchResults } from './report';
import { SIZES } from './sizes';
import { startBenchStack } from './stack';

const RESULTS_DIR = fileURLToPath(new URL('./results', import.meta.url));

const args = process.argv.slice(2);
const mode = args.includes('--quick') ? 'quick' : 'full';
const check = args.includes('--check');
const size = SIZES[mode];

Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { forward: {}, filter: { core: 'ERROR', other: 'ERROR' } } } });

const step = (what: string) => process.stderr.write(`bench [${new Date().toISOString().slice(11, 19)}] ${what}\n`);
const started = Date.now();
step(`${mode} run: starting the dev server and bundling the workflow code`);
const stack = await startBenchStack();
let results: BenchResults;
try {
  step('history events (time-skipping server)');
  const history = await measureHistory(stack.shaleBundle);
  step(`${size.running.jobs} running jobs: Livy load, submit → POST, cancel → DELETE (Shale, naive workflow, operator)`);
  const running = await measureRunningJobs(stack, size.running, size.capacity.finishOverMs);
  step(`${size.capacity.jobs} jobs on one worker: RSS and terminal-state lag`);
  const capacity = await measureCapacity(stack, size.capacity);
  step(`throughput: ${size.throughput.jobs} short jobs vs empty workflows`);
  const throughput = await measureThroughput(stack, size.throughput);
  results = {
    mode,
    startedAt: new Date(started).toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    machine: { cpus: cpus().length, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version },
    history,
    running,
    capacity,
    throughput,
  };
} finally {
  await stack.close();
}

const table = rows(results);
await mkdir(RESULTS_DIR, { recursive: true });
const file = join(RESULTS_DIR, `${mode}-${results.startedAt.replace(/[:.]/g, '-')}.json`);
await writeFile(file, JSON.stringify({ ...results, table }, null, 2));
console.log(formatTable(table));
console.log(`\n${mode} run on ${results.machine.cpus} CPUs in ${results.durationSeconds} s; figures in ${file}`);
const missing = missingFigures(table);
if (check && missing.length) {
  console.error(`bench: figures not produced: ${missing.join('; ')}`);
  process.exit(1);
}
process.exit(0);
