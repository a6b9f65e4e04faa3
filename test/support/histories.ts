/**
 * Writing a job's workflow histories to files (protojson, the form `temporal workflow show --output
 * json` prints and Worker.runReplayHistory reads). The replay corpus is recorded by
 * `make record-histories` (test/replay/record.recorder.ts), one directory per release.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { History } from './history';
import { fetchJobHistories } from '../../client/audit';
import { sha256, SCRATCH_ROOT, type RecordedRun } from '../replay/corpus';
import type { E2EStack } from './stack';

const CHILD_WAIT_MS = 60_000;

/**
 * Writes every run of the job (one file per run of a continue-as-new chain) as `<name>.json` or
 * `<name>.run<N>.json`, then the child workflows it started (a sweeper outlives its job: each is
 * awaited first) as `<name>.<child id without the job id>.json`.
 */
export async function saveJobHistories(client: Client, jobId: string, dir: string, name: string): Promise<RecordedRun[]> {
  const runs = await fetchJobHistories(client, jobId);
  await mkdir(dir, { recursive: true });
  const saved: RecordedRun[] = [];
  const save = async (file: string, history: History) => {
    const json = historyToJSON(history);
    await writeFile(join(dir, file), json);
    saved.push({ file, sha256: sha256(json) });
  };
  for (const [i, { history }] of runs.entries()) await save(runs.length === 1 ? `${name}.json` : `${name}.run${i + 1}.json`, history);
  const children = runs.flatMap(({ history }) =>
    (history.events ?? []).flatMap((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId ?? []),
  );
  for (const childId of children) {
    const child = client.workflow.getHandle(childId);
    // How it ended is in its history; one still running after a minute is kept as far as it got (that replays too).
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([child.result().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, CHILD_WAIT_MS)))]);
    clearTimeout(timer);
    const suffix = childId.startsWith(`${jobId}-`) ? childId.slice(jobId.length + 1) : childId;
    await save(`${name}.${suffix}.json`, await child.fetchHistory());
  }
  return saved;
}

/**
 * With SHALE_RECORD_HISTORIES=1, an e2e test keeps its job's histories under .run/replay/e2e/ for a
 * look (they are not the corpus: that one is recorded path by path by `make record-histories`).
 */
export async function saveHistory(stack: E2EStack, jobId: string, name: string): Promise<void> {
  if (process.env.SHALE_RECORD_HISTORIES !== '1') return;
  await saveJobHistories(stack.client.temporal, jobId, join(SCRATCH_ROOT, 'e2e'), name);
}
