/** The chaos suite's one table: a row per scenario, a column per invariant, and the failures under it. */
import { INVARIANT_NAMES, type InvariantResult, type Verdict } from './harness/invariants';
import type { ScenarioResult } from './harness/runner';

export function scenarioPassed(r: ScenarioResult): boolean {
  return !r.error && Object.values(r.verdict).every((v) => v.failed === 0);
}

function cell(v: InvariantResult, unit: 'jobs' | 'count' = 'jobs'): string {
  if (!v.applies || (v.checked === 0 && v.failed === 0)) return '—';
  if (unit === 'count') return v.failed === 0 ? `ok (0 in ${v.checked})` : `NO ${v.failed}`;
  return v.failed === 0 ? `ok ${v.checked}/${v.checked}` : `NO ${v.checked - v.failed}/${v.checked}`;
}

const COLUMNS = [
  'SCENARIO',
  'JOBS',
  'FINAL STATE',
  'POST/ATTEMPT',
  'DELETES',
  '≤1 LIVE',
  'FOREIGN',
  'SECRET LEAKS',
  'CHECKS',
  'TIME',
  'RESULT',
] as const;

export function tableRows(results: readonly ScenarioResult[]): string[][] {
  return results.map((r) => [
    r.scenario,
    String(r.jobs),
    cell(r.verdict.finalStates),
    cell(r.verdict.postsPerAttempt),
    cell(r.verdict.deletes),
    cell(r.verdict.oneLiveAttempt),
    cell(r.verdict.foreignUntouched),
    cell(r.verdict.secretLeaks, 'count'),
    r.error ? 'ERROR' : cell(r.verdict.checks),
    `${Math.round(r.durationSeconds)} s`,
    scenarioPassed(r) ? 'pass' : 'FAIL',
  ]);
}

export function formatTable(results: readonly ScenarioResult[]): string {
  const rows = [COLUMNS as readonly string[], ...tableRows(results)];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

/** Under the table: for each failing scenario, which invariant failed and its first examples. */
export function formatFailures(results: readonly ScenarioResult[], perInvariant = 3): string {
  const lines: string[] = [];
  for (const r of results) {
    if (scenarioPassed(r)) continue;
    lines.push(`${r.scenario}: ${r.what}`);
    if (r.error) lines.push(`  scenario error: ${r.error.split('\n')[0]}`);
    for (const [key, v] of Object.entries(r.verdict) as Array<[keyof Verdict, InvariantResult]>) {
      if (v.failed === 0) continue;
      lines.push(`  ${INVARIANT_NAMES[key]} (${v.failed} failed):`);
      for (const e of v.examples.slice(0, perInvariant)) lines.push(`    - ${e.length > 220 ? `${e.slice(0, 217)}...` : e}`);
      if (v.examples.length > perInvariant) lines.push(`    … ${v.examples.length - perInvariant} more in the JSON`);
    }
  }
  return lines.join('\n');
}
