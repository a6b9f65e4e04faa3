/**
 * `make chaos` (full, by hand) and `make chaos QUICK=1` (CI, after make test): real worker processes,
 * a persistent dev server, Livy simulators and moto, put through worker and server kills, flaky,
 * restarting and unreachable Livy, cancel races, and hostile input. Prints one table (a row per
 * scenario, a column per invariant), the failures under it, and writes the figures as JSON under
 * bench/results/. Exits 1 if any invariant failed anywhere.
 *
 *   npx tsx bench/chaos/main.ts [--quick] [--only name,name]
 */
import { cpus, totalmem } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHAOS_SIZES, type Mode } from './sizes';
import { ChaosStack } from './harness/stack';
import { failedToRun, runScenario, type ScenarioDefinition, type ScenarioResult } from './harness/runner';
import { SECRET_ENV, SECRET_VALUE } from './harness/secrets';
import { selfCheck } from './harness/selfCheck';
import { formatFailures, formatTable, scenarioPassed, tableRows } from './report';
import { SCENARIOS } from './scenarios';

const RESULTS_DIR = fileURLToPath(new URL('../results', import.meta.url));

const args = process.argv.slice(2);
const mode: Mode = args.includes('--quick') ? 'quick' : 'full';
const onlyArg = args.find((a) => a.startsWith('--only'));
const only = onlyArg ? (onlyArg.includes('=') ? onlyArg.split('=')[1]! : args[args.indexOf(onlyArg) + 1] ?? '').split(',').filter(Boolean) : [];
const unknown = only.filter((name) => !SCENARIOS.some((s) => s.name === name));
if (unknown.length) {
  console.error(`chaos: unknown scenario(s) ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  process.exit(2);
}
const selected: readonly ScenarioDefinition[] = only.length ? SCENARIOS.filter((s) => only.includes(s.name)) : SCENARIOS;
const size = CHAOS_SIZES[mode];

// The checks must be able to fail before their passing means anything.
const blind = selfCheck();
if (blind.length) {
  console.error(`chaos: the invariant checks miss planted violations:\n  ${blind.join('\n  ')}`);
  process.exit(2);
}

// The AWS SDK's notice about future Node versions would only clutter the table's output (driver and workers).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// The workers are configured with livy.authHeaderFromEnv = SHALE_LIVY_AUTH and inherit it from here.
process.env[SECRET_ENV] = SECRET_VALUE;

const started = Date.now();
process.stderr.write(`chaos: ${mode} run, ${selected.length} scenario(s); starting the dev server (SQLite) and bundling the workflows\n`);
const stack = await ChaosStack.start();
const results: ScenarioResult[] = [];
try {
  for (const scenario of selected) {
    try {
      results.push(await runScenario(scenario, stack, mode, size));
    } catch (err) {
      // The scenario could not even be set up (e.g. the server is gone): a row that says so, and on to the next.
      results.push(failedToRun(scenario, err));
    }
  }
} finally {
  await stack.close();
}

const startedAt = new Date(started).toISOString();
await mkdir(RESULTS_DIR, { recursive: true });
const file = join(RESULTS_DIR, `chaos-${mode}-${startedAt.replace(/[:.]/g, '-')}.json`);
const summary = {
  mode,
  startedAt,
  durationSeconds: Math.round((Date.now() - started) / 1000),
  machine: { cpus: cpus().length, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version },
  sizes: size,
  table: tableRows(results),
  results,
};
await writeFile(file, JSON.stringify(summary, null, 2));
console.log(formatTable(results));
const failures = formatFailures(results);
if (failures) console.log(`\n${failures}`);
const failed = results.filter((r) => !scenarioPassed(r)).length;
console.log(`\n${mode} run on ${summary.machine.cpus} CPUs in ${summary.durationSeconds} s: ${results.length - failed} of ${results.length} scenarios pass; figures in ${file}`);
process.exit(failed ? 1 : 0);
