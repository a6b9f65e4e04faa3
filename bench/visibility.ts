/** What the bench reads back from Temporal's visibility store: how many jobs are in a state, and when each closed. */
import type { Client } from '@temporalio/client';
import { until } from './pacing';

export function countWorkflows(temporal: Client, taskQueue: string, filter: string): Promise<number> {
  return temporal.workflow.count(`TaskQueue="${taskQueue}" AND ${filter}`).then((c) => c.count);
}

/** Polls the count of the task queue's workflows matching `filter` until it is `expected`; returns it. */
export async function untilCount(temporal: Client, taskQueue: string, what: string, filter: string, expected: number, timeoutMs: number, intervalMs: number): Promise<number> {
  await until(what, async () => {
    const n = await countWorkflows(temporal, taskQueue, filter);
    return n === expected || `${n} now, ${expected} expected`;
  }, timeoutMs, intervalMs);
  return expected;
}

/** Every job on the task queue reports state RUNNING (its search attribute). */
export function untilAllRunning(temporal: Client, taskQueue: string, jobs: number, timeoutMs: number, intervalMs: number): Promise<number> {
  return untilCount(temporal, taskQueue, 'every job RUNNING', 'ShaleState="RUNNING"', jobs, timeoutMs, intervalMs);
}

/** No workflow on the task queue is still open. */
export async function untilAllClosed(temporal: Client, taskQueue: string, timeoutMs: number, intervalMs: number): Promise<void> {
  await untilCount(temporal, taskQueue, 'every workflow closed', 'ExecutionStatus="Running"', 0, timeoutMs, intervalMs);
}

export interface ClosedWorkflow {
  workflowId: string;
  startMs: number;
  closeMs: number;
  status: string;
}

export async function closedWorkflows(temporal: Client, taskQueue: string): Promise<ClosedWorkflow[]> {
  const out: ClosedWorkflow[] = [];
  for await (const wf of temporal.workflow.list({ query: `TaskQueue="${taskQueue}" AND ExecutionStatus!="Running"`, pageSize: 1000 })) {
    out.push({ workflowId: wf.workflowId, startMs: wf.startTime.getTime(), closeMs: wf.closeTime?.getTime() ?? NaN, status: wf.status.name });
  }
  return out;
}
