/**
 * The activity behind `shale logs`: it reads a batch's Livy log inside the worker, so operators
 * get logs without Livy's address or credential ever reaching their machine. The caller names a
 * cluster and a batch; the worker resolves the cluster's Livy from its own directory.
 */
import type { ClusterDirectory } from './clusters/cluster';
import { resolveCluster } from './clusters/resolve';
import { translatingErrors } from './failures';
import type { LivyClients } from './livy/client';
import { isLivyError } from './livy/errors';
import { splitSections, withoutMarkers, type LogSectionName } from '../contract/livyLog';

export interface ReadBatchLogInput {
  cluster: string;
  /** The attempt's name (`J-aN`): the batch is read by name. */
  batchName: string;
  /** Livy's entry index to start from; default: the last `size` entries, or the whole log without a size. */
  from?: number;
  /** Entries to read (markers count); default: the whole log Livy keeps. */
  size?: number;
}

export interface BatchLogSection {
  /** Undefined for lines before the first marker of a page that starts inside a section. */
  name?: LogSectionName;
  lines: string[];
}

export interface BatchLogRead {
  /** False when Livy does not hold the batch (collected, deleted, or Livy restarted). */
  found: boolean;
  /** The page's first entry index and the log's entry count, as Livy counts them (markers included). */
  from: number;
  total: number;
  /** The page split at Livy's section markers, markers removed. */
  sections: BatchLogSection[];
  /** The same lines in Livy's order. */
  lines: string[];
}

export interface LogActivities {
  readBatchLog(input: ReadBatchLogInput): Promise<BatchLogRead>;
}

export interface LogActivityDeps {
  clusters: ClusterDirectory;
  livy: LivyClients;
}

/** More than Livy ever holds: two 200-line sections, their markers and YARN's diagnostics. */
export const WHOLE_LOG_ENTRIES = 1_000;

export function createLogActivities(deps: LogActivityDeps): LogActivities {
  return {
    async readBatchLog(input: ReadBatchLogInput): Promise<BatchLogRead> {
      const cluster = await translatingErrors(() => resolveCluster(deps.clusters, input.cluster));
      const client = deps.livy.for(cluster.livyUrl);
      // Without either, the whole log (what a follower re-reads); a size alone is a page from the tail.
      const page = input.from === undefined && input.size === undefined ? { from: 0, size: WHOLE_LOG_ENTRIES } : { from: input.from, size: input.size ?? WHOLE_LOG_ENTRIES };
      return translatingErrors(async () => {
        try {
          const log = await client.getLog(input.batchName, page);
          return { found: true, from: log.from, total: log.total, sections: splitSections(log.log), lines: withoutMarkers(log.log) };
        } catch (err) {
          if (isLivyError(err, 'not-found')) return { found: false, from: 0, total: 0, sections: [], lines: [] };
          throw err;
        }
      });
    },
  };
}
