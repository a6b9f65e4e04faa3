/**
 * Baseline workflows the bench measures Shale against (never deployed):
 * - naivePollingJob: what a first Temporal port of an Airflow Livy operator looks like — POST, then
 *   a timer loop that GETs the batch every poll interval. History and Livy load grow with duration.
 * - emptyWorkflow: the raw rate at which the server starts and completes a workflow.
 */
import { proxyActivities, sleep } from '@temporalio/workflow';
import type { NaiveActivities, NaiveJobInput } from './types';

const { postBatch, getBatchState } = proxyActivities<NaiveActivities>({ startToCloseTimeout: '30s' });

const TERMINAL = ['success', 'dead', 'killed'];

export async function naivePollingJob(input: NaiveJobInput): Promise<string> {
  const batchId = await postBatch(input);
  for (;;) {
    await sleep(input.pollSeconds * 1000);
    const state = await getBatchState(input.livyUrl, batchId);
    if (TERMINAL.includes(state)) return state;
  }
}

export async function emptyWorkflow(): Promise<void> {}
