/**
 * Histories recorded from e2e runs (SHALE_RECORD_HISTORIES=1, see test/support/histories.ts)
 * replayed against today's workflow code: a change that would break running jobs fails here.
 */
import { readdir, readFile } from 'node:fs/promises';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { HISTORIES_DIR } from '../support/histories';
import { installQuietRuntime, workflowBundle } from '../support/workflowEnv';

const files = (await readdir(HISTORIES_DIR)).filter((f) => f.endsWith('.json')).sort();

describe('recorded histories replay against the current sparkJob', () => {
  it('has recorded histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(4);
  });

  it.each(files)('%s', async (file) => {
    installQuietRuntime();
    const history = JSON.parse(await readFile(`${HISTORIES_DIR}${file}`, 'utf8'));
    await expect(Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, file)).resolves.toBeUndefined();
  });
});
