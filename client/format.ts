/** Human output for the CLI: short, aligned, one job per screen. Scripts use --json instead. */
import { formatDuration, type JobStatus } from '../contract';
import type { AuditEntry } from './audit';
import type { JobSummary } from './shaleClient';

/** A cluster as people know it: `j-2AXXXXXXGAPLF (analytics-prod)`, or the id alone without an EMR name. */
export function clusterLabel(id: string | undefined, name: string | undefined): string {
  if (!id) return '';
  return name ? `${id} (${name})` : id;
}

function since(startIso: string | undefined, endIso?: string): string {
  if (!startIso) return '';
  const end = endIso ? Date.parse(endIso) : Date.now();
  return formatDuration((end - Date.parse(startIso)) / 1000);
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

export function formatStatus(status: JobStatus): string {
  const lines = [
    `job        ${status.jobId}`,
    `name       ${status.team}/${status.name} (${status.kind})`,
    `state      ${status.state}${status.nextAttemptAt ? ` (next attempt at ${status.nextAttemptAt})` : ''}`,
    `elapsed    ${since(status.createdAt, status.finishedAt)}`,
  ];
  if (status.requestedBy) lines.push(`submitted  by ${status.requestedBy} at ${status.createdAt}`);
  if (status.cancel) lines.push(`cancel     by ${status.cancel.requestedBy} via ${status.cancel.via} at ${status.cancel.at}: ${status.cancel.reason}`);
  if (status.lastError) lines.push(`error      [${status.lastError.class}] ${status.lastError.type}: ${status.lastError.message}`);
  if (status.attempts.length) {
    lines.push('', table([
      ['ATTEMPT', 'CLUSTER', 'BATCH', 'LIVY STATE', 'OUTCOME', 'TOOK', 'REASON'],
      ...status.attempts.map((a) => [
        String(a.n),
        clusterLabel(a.cluster, a.clusterName),
        a.batchId === undefined ? a.batchName : `${a.batchId} ${a.batchName}`,
        a.batchState ?? '',
        a.outcome ?? '',
        since(a.submittedAt, a.finishedAt),
        a.reason ?? a.routeReason ?? '',
      ]),
    ]));
    const current = status.attempts.at(-1)!;
    if (current.sparkUiUrl) lines.push(`spark ui   ${current.sparkUiUrl}`);
    if (current.driverLogUrl) lines.push(`driver log ${current.driverLogUrl}`);
  }
  return lines.join('\n');
}

/** One line per change, for `wait` and `submit --wait`. */
export function formatProgress(status: JobStatus): string {
  const a = status.attempts.at(-1);
  const parts = [new Date().toISOString().slice(11, 19), status.jobId, status.state];
  if (a) parts.push(`attempt ${a.n}`, clusterLabel(a.cluster, a.clusterName), a.batchState ? `livy:${a.batchState}` : '');
  parts.push(since(status.createdAt, status.finishedAt));
  if (a?.sparkUiUrl && !status.finishedAt) parts.push(a.sparkUiUrl);
  return parts.filter(Boolean).join('  ');
}

export function formatList(jobs: JobSummary[]): string {
  if (jobs.length === 0) return 'no jobs';
  return table([
    ['JOB', 'TEAM', 'NAME', 'STATE', 'ATTEMPT', 'CLUSTER', 'STARTED'],
    ...jobs.map((j) => [j.jobId, j.team ?? '', j.name ?? '', j.state ?? '', String(j.attempt ?? ''), clusterLabel(j.cluster, j.clusterName), j.startedAt ?? '']),
  ]);
}

/** `shale audit`: one aligned line per entry, oldest first. */
export function formatAudit(jobId: string, entries: AuditEntry[]): string {
  if (entries.length === 0) return `no history for ${jobId}`;
  return table([['TIME', 'ACTOR', 'EVENT', 'DETAILS'], ...entries.map((e) => [e.at, e.actor, e.event, e.summary])]);
}
