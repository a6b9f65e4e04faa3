/** Livy's batch object as the workflow sees it, and the identity rule: a batch is its name. */
import type { BatchSnapshot } from '../../contract';
import { withoutMarkers } from '../../contract/livyLog';
import type { LivyBatch } from './types';

/** The batch as the workflow records it; Livy's section markers are not log lines and are left out. */
export function toSnapshot(batch: LivyBatch, log?: string[]): BatchSnapshot {
  const lines = log ?? batch.log;
  return {
    batchId: batch.id,
    batchName: batch.name ?? '',
    state: batch.state,
    appId: batch.appId ?? undefined,
    sparkUiUrl: batch.appInfo?.sparkUiUrl ?? undefined,
    driverLogUrl: batch.appInfo?.driverLogUrl ?? undefined,
    log: lines && withoutMarkers(lines),
  };
}

/**
 * A batch is ours when it carries our name (`J-aN`, unique per job attempt). Its id is not part
 * of its identity: after a Livy restart the same id can name another batch, and our name can be
 * found under a new id (a resubmission by name is still ours).
 */
export function isOurBatch(batch: LivyBatch | undefined, batchName: string): batch is LivyBatch {
  return batch !== undefined && batch.name === batchName;
}

