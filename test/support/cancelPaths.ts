/**
 * The three ways to cancel a job (DESIGN.md rule 4): signal `cancel`, Update `requestCancel`, and
 * native workflow cancellation (the UI button). Each helper returns once the workflow has handled
 * the request, so a test can look at the job right after it.
 */
import { hostname } from 'node:os';
import { cancelSignal, requestCancelUpdate, type CancelAnswer, type CancelRequest, type CancelVia } from '../../contract';
import { waitUntilRequestsHandled } from './history';
import type { JobHandle } from './jobHarness';

export const CANCEL_PATHS: readonly CancelVia[] = ['signal', 'update', 'workflow-cancel'];

export interface Canceller {
  requestedBy: string;
  reason: string;
}

/** Sends a cancel through `via`; an Update's answer is returned, the other paths answer nothing. */
export async function requestCancel(handle: JobHandle, via: CancelVia, who: Canceller): Promise<CancelAnswer | undefined> {
  switch (via) {
    case 'signal':
      await handle.signal(cancelSignal, who);
      await waitUntilRequestsHandled(handle);
      return undefined;
    case 'update':
      // executeUpdate returns once the workflow has run the handler.
      return handle.executeUpdate(requestCancelUpdate, { args: [who] });
    case 'workflow-cancel':
      await handle.cancel();
      await waitUntilRequestsHandled(handle);
      return undefined;
  }
}

/** The identity the time-skipping environment's Temporal client sends (the SDK's default: pid@host). */
export const TEST_CLIENT_IDENTITY = `${process.pid}@${hostname()}`;

/**
 * What status.cancel must hold after a cancel through `via`. Native cancellation carries no who/why
 * to the workflow: it names the requester's Temporal identity (from the run's history) and a stock reason.
 */
export function expectedCancelRecord(via: CancelVia, who: Canceller, clientIdentity = TEST_CLIENT_IDENTITY): Omit<CancelRequest, 'at'> {
  return via === 'workflow-cancel'
    ? { requestedBy: clientIdentity, reason: 'workflow cancellation requested', via }
    : { requestedBy: who.requestedBy, reason: who.reason, via };
}
