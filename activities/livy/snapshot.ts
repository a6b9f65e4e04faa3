/** Livy's batch object as the workflow sees it, and the (id, name) identity rule. */
import type { BatchSnapshot } from '../../contract';
import type { LivyBatch } from './types';

export function toSnapshot(batch: LivyBatch, log?: string[]): BatchSnapshot {
  return {
    batchId: batch.id,
    batchName: batch.name ?? '',
    state: batch.state,
    appId: batch.appId ?? undefined,
    sparkUiUrl: batch.appInfo?.sparkUiUrl ?? undefined,
    driverLogUrl: batch.appInfo?.driverLogUrl ?? undefined,
    log: log ?? batch.log,
  };
}

/** A batch is ours only if both id and name match: after a Livy restart, ids are reused. */
export function isSameBatch(batch: LivyBatch | undefined, batchId: number, batchName: string): batch is LivyBatch {
  return batch !== undefined && batch.id === batchId && batch.name === batchName;
}
