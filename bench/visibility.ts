/** What the bench reads back from Temporal's visibility store: how many jobs are in a state, and when each closed. */
import type { Client } from '@temporalio/client';

export function countWorkflows(temporal: Client, taskQueue: string, filter: string): Promise<number> {
  return temporal.workflow.count(`TaskQueue="${taskQueue}" AND ${filter}`).then((c) => c.count);
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
