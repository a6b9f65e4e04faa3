/** The bench's one table (figure, Shale, baseline, target) and its JSON form. */
import type { CapacityFigures } from './scenarios/capacity';
import type { HistoryFigures } from './scenarios/history';
import type { RunningJobsFigures } from './scenarios/runningJobs';
import type { ThroughputFigures } from './scenarios/throughput';
import { round } from './stats';

export interface BenchResults {
  mode: 'quick' | 'full';
  startedAt: string;
  durationSeconds: number;
  machine: { cpus: number; memoryGb: number; node: string };
  history: HistoryFigures;
  running: RunningJobsFigures;
  capacity: CapacityFigures;
  throughput: ThroughputFigures;
}

export interface Row {
  figure: string;
  shale: string;
  baseline: string;
  target: string;
  /** Whether the Shale figure meets the target; undefined where there is no target. */
  met?: boolean;
  /** The raw numbers behind `shale`, which `--check` requires to be finite. */
  values: number[];
}

const ms = (v: number) => `${Math.round(v)}`;
const n = (v: number) => v.toLocaleString('en-US');

export function rows(r: BenchResults): Row[] {
  const { history: h, running, capacity: c, throughput: t } = r;
  const { shale: s, naive, operator } = running;
  const N = n(running.size.jobs);
  const sampled = `${n(running.size.sampled)} jobs at ${running.size.ratePerSecond}/s, ${N} running`;
  const freshness = `${running.size.pollIntervalMs / 1000} s`;
  return [
    {
      figure: 'history events, 1-minute job',
      shale: n(h.shale1Min),
      baseline: `naive ${n(h.naive1Min)}`,
      target: 'same order as 24 h',
      met: h.shale24H <= 2 * h.shale1Min,
      values: [h.shale1Min],
    },
    {
      figure: 'history events, 24-hour job',
      shale: n(h.shale24H),
      baseline: `naive ~${n(h.naive24HExtrapolated)} (from 1 h: ${n(h.naive1H)}; ${h.naiveEventsPerPoll}/poll)`,
      target: '≤ 60',
      met: h.shale24H <= 60,
      values: [h.shale24H],
    },
    {
      figure: `Livy requests / running job-minute (${N} jobs, ${freshness})`,
      shale: `${round(s.requestsPerJobMinute, 3)}`,
      baseline: `naive ${round(naive.requestsPerJobMinute, 2)} · operator ${round(operator.requestsPerJobMinute, 2)}`,
      target: '≤ 1',
      met: s.requestsPerJobMinute <= 1,
      values: [s.requestsPerJobMinute],
    },
    {
      figure: 'new Livy connections / running job-minute',
      shale: `${round(s.newConnectionsPerJobMinute, 3)}`,
      baseline: `naive ${round(naive.newConnectionsPerJobMinute, 2)} · operator ${round(operator.newConnectionsPerJobMinute, 2)}`,
      target: '(keep-alive)',
      values: [s.newConnectionsPerJobMinute],
    },
    {
      figure: `submit → POST p50 / p99 ms (${sampled})`,
      shale: `${ms(s.submitToPostMs.p50)} / ${ms(s.submitToPostMs.p99)}`,
      baseline: `naive ${ms(naive.submitToPostMs.p50)} / ${ms(naive.submitToPostMs.p99)} · operator ${ms(operator.submitToPostMs.p50)} / ${ms(operator.submitToPostMs.p99)}`,
      target: '≤ 50 / ≤ 250',
      met: s.submitToPostMs.p50 <= 50 && s.submitToPostMs.p99 <= 250,
      values: [s.submitToPostMs.p50, s.submitToPostMs.p99],
    },
    {
      figure: `cancel → DELETE p50 / p99 ms (${sampled})`,
      shale: `${ms(s.cancelToDeleteMs.p50)} / ${ms(s.cancelToDeleteMs.p99)}`,
      baseline: `operator ${ms(operator.cancelToDeleteMs.p50)} / ${ms(operator.cancelToDeleteMs.p99)}`,
      target: '≤ 100 / ≤ 500',
      met: s.cancelToDeleteMs.p50 <= 100 && s.cancelToDeleteMs.p99 <= 500,
      values: [s.cancelToDeleteMs.p50, s.cancelToDeleteMs.p99],
    },
    {
      figure: 'running jobs tracked by one worker',
      shale: n(c.runningAtOnce),
      baseline: '—',
      target: '≥ 5,000',
      met: c.runningAtOnce >= 5000,
      values: [c.runningAtOnce],
    },
    {
      figure: '  its peak RSS (MiB)',
      shale: n(Math.round(c.peakRssMb)),
      baseline: '—',
      target: '≤ 1,536',
      met: c.peakRssMb <= 1536,
      values: [c.peakRssMb],
    },
    {
      figure: '  terminal-state lag p50 / p99 s',
      shale: `${round(c.terminalLagMs.p50 / 1000)} / ${round(c.terminalLagMs.p99 / 1000)}`,
      baseline: `naive ${round(naive.terminalLagMs.p50 / 1000)} / ${round(naive.terminalLagMs.p99 / 1000)} (${N} jobs)`,
      target: 'p99 ≤ 15',
      met: c.terminalLagMs.p99 <= 15_000,
      values: [c.terminalLagMs.p50, c.terminalLagMs.p99],
    },
    {
      figure: `throughput, short jobs/s (${n(t.size.jobs)} jobs)`,
      shale: `${round(t.shaleJobsPerSecond)} (${round(t.ratio, 2)} of raw)`,
      baseline: `empty workflow ${round(t.rawWorkflowsPerSecond)}/s`,
      target: '≥ 0.5 of raw',
      met: t.ratio >= 0.5,
      values: [t.shaleJobsPerSecond, t.rawWorkflowsPerSecond, t.ratio],
    },
  ];
}

export function formatTable(table: Row[]): string {
  const header = { figure: 'FIGURE', shale: 'SHALE', baseline: 'BASELINE', target: 'TARGET', met: 'MET' };
  const cells = table.map((r) => ({ ...r, met: r.met === undefined ? '' : r.met ? 'yes' : 'NO' }));
  const width = (k: keyof typeof header) => Math.max(header[k].length, ...cells.map((c) => String(c[k]).length));
  const line = (c: Record<keyof typeof header, string>) =>
    (Object.keys(header) as Array<keyof typeof header>).map((k) => String(c[k]).padEnd(width(k))).join('  ').trimEnd();
  return [line(header), ...cells.map((c) => line(c))].join('\n');
}

/** Figures that were not produced (NaN, missing): `make test` fails on any. */
export function missingFigures(table: Row[]): string[] {
  return table.filter((r) => r.values.length === 0 || r.values.some((v) => !Number.isFinite(v))).map((r) => r.figure);
}
