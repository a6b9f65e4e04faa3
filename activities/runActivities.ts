/**
 * The run activities (contract/runActivities.ts), done with the Temporal client the worker gives
 * every activity (bound to the worker's namespace).
 */
import { Context } from '@temporalio/activity';
import { randomUUID } from 'node:crypto';
import { CLOSE_AS_CANCELLED_REASON, type CancelRequester, type RunActivities, type RunRef } from '../contract/runActivities';

export function createRunActivities(): RunActivities {
  return {
    async requestRunCancellation({ workflowId, runId }: RunRef): Promise<void> {
      const { client, info } = Context.current();
      // The service call, not handle.cancel(): it carries a reason that says what this request is.
      await client.workflowService.requestCancelWorkflowExecution({
        namespace: info.workflowNamespace,
        workflowExecution: { workflowId, runId },
        identity: client.options.identity,
        requestId: randomUUID(),
        reason: CLOSE_AS_CANCELLED_REASON,
      });
    },
    async cancelRequester({ workflowId, runId }: RunRef): Promise<CancelRequester> {
      const history = await Context.current().client.workflow.getHandle(workflowId, runId).fetchHistory();
      for (const event of history.events ?? []) {
        const requested = event.workflowExecutionCancelRequestedEventAttributes;
        if (!requested || requested.cause === CLOSE_AS_CANCELLED_REASON) continue;
        return { ...(requested.identity ? { identity: requested.identity } : {}), ...(requested.cause ? { reason: requested.cause } : {}) };
      }
      return {};
    },
  };
}
