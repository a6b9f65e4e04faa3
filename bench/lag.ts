/** Ending batches at a steady rate in the simulators, and how long each job took to notice. */
import type { LivySimulator } from '../dev/livy-sim';
import { paced } from './pacing';
import type { ClosedWorkflow } from './visibility';

/** Which simulator holds each batch, by name, from the POSTs each one logged. */
export function batchLocations(clusters: readonly LivySimulator[]): Map<string, LivySimulator> {
  const where = new Map<string, LivySimulator>();
  for (const cluster of clusters) {
    for (const post of cluster.requests({ method: 'POST' })) if (post.batchName && post.status === 201) where.set(post.batchName, cluster);
  }
  return where;
}

/** The same order every run, unrelated to submission order (jobs were submitted at a steady rate too). */
function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  let seed = 42;
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Ends every named batch with `success`, spread evenly over `overMs` in shuffled order (so batch ends
 * do not keep step with the pollers' phases); returns when each ended (ms since epoch).
 */
export async function finishSpread(clusters: readonly LivySimulator[], names: readonly string[], overMs: number): Promise<Map<string, number>> {
  const where = batchLocations(clusters);
  const batchNames = shuffled(names);
  const endedAt = new Map<string, number>();
  await paced(batchNames.length, Math.max(1, batchNames.length / Math.max(0.001, overMs / 1000)), async (i) => {
    const name = batchNames[i]!;
    const cluster = where.get(name);
    if (!cluster) throw new Error(`bench: no simulator holds batch ${name}`);
    if (cluster.finish(name, 'success')) endedAt.set(name, Date.now());
  });
  return endedAt;
}

/** Milliseconds from each batch's end to its workflow's close; `batchOf` maps a workflow ID to its batch name. */
export function terminalLags(closed: readonly ClosedWorkflow[], endedAt: Map<string, number>, batchOf: (workflowId: string) => string): number[] {
  const lags: number[] = [];
  for (const wf of closed) {
    const ended = endedAt.get(batchOf(wf.workflowId));
    if (ended !== undefined) lags.push(wf.closeMs - ended);
  }
  return lags;
}
