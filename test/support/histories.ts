/**
 * Recorded histories for replay tests. With SHALE_RECORD_HISTORIES=1 the e2e suites write the
 * histories of their jobs to test/replay/histories/, to be committed; replay.test.ts replays
 * every committed history against today's workflow code.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { E2EStack } from './stack';

export const HISTORIES_DIR = fileURLToPath(new URL('../replay/histories/', import.meta.url));

export async function saveHistory(stack: E2EStack, jobId: string, name: string): Promise<void> {
  if (process.env.SHALE_RECORD_HISTORIES !== '1') return;
  const history = await stack.client.temporal.workflow.getHandle(jobId).fetchHistory();
  await mkdir(HISTORIES_DIR, { recursive: true });
  await writeFile(`${HISTORIES_DIR}${name}.json`, historyToJSON(history));
}
