/** How big each scenario runs: `full` for the figures, `quick` (make test) so the harness cannot rot. */
import type { CapacitySize } from './scenarios/capacity';
import type { RunningJobsSize } from './scenarios/runningJobs';
import type { ThroughputSize } from './scenarios/throughput';

export interface BenchSizes {
  running: RunningJobsSize;
  capacity: CapacitySize;
  throughput: ThroughputSize;
}

/** Freshness of batch states while jobs run: the 10 s. */
const FRESHNESS_MS = 10_000;

export const SIZES: Record<'quick' | 'full', BenchSizes> = {
  full: {
    running: { jobs: 1000, clusters: 4, sampled: 500, ratePerSecond: 10, fillRatePerSecond: 50, windowMs: 60_000, pollIntervalMs: FRESHNESS_MS },
    capacity: { jobs: 5000, clusters: 8, ratePerSecond: 50, finishOverMs: 60_000, pollIntervalMs: FRESHNESS_MS, worker: {} },
    throughput: { jobs: 1000, clusters: 4, concurrency: 50, pollIntervalMs: 1000 },
  },
  // Small and with 2 s freshness, so it runs in about a minute: it proves the harness, not the figures.
  quick: {
    running: { jobs: 30, clusters: 2, sampled: 20, ratePerSecond: 10, fillRatePerSecond: 50, windowMs: 5_000, pollIntervalMs: 2_000 },
    capacity: { jobs: 100, clusters: 2, ratePerSecond: 50, finishOverMs: 3_000, pollIntervalMs: 2_000, worker: {} },
    throughput: { jobs: 60, clusters: 2, concurrency: 20, pollIntervalMs: 1000 },
  },
};
