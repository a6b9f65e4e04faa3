/**
 * How big each chaos scenario runs. `quick` is what CI runs after make test (a few minutes on two
 * cores: it proves the harness and the invariants on a handful of jobs); `full` is run by hand.
 * CHAOS_OUTAGE_SECONDS overrides the length of the short outage right after routing.
 */
export type Mode = 'quick' | 'full';

export interface ChaosSizes {
  workerKills: { jobs: number; killEveryMs: number; kills: number; workers: number };
  serverRestart: { jobs: number; downMs: number };
  flakyLivy: { jobs: number; errorRate: number; dropRate: number };
  livyRestart: { jobs: number; foreign: number };
  unreachable: { jobsPerCase: number; outageMs: number };
  shortOutage: { jobs: number; outageMs: number };
  forgotten: { jobs: number };
  doubleCancel: { jobs: number; maxGapMs: number };
  cancelMatrix: { repeat: number };
  hostileSpecs: { cases: number; workflows: number };
  hostilePayloads: { jobs: number; payloadsPerHandler: number };
  /** CLI commands (status, status --json, audit, logs) are run on this many of the four jobs. */
  secrets: { cliJobs: number };
}

const outageMs = (fallbackSeconds: number) => 1000 * Number(process.env.CHAOS_OUTAGE_SECONDS ?? fallbackSeconds);

export const CHAOS_SIZES: Record<Mode, ChaosSizes> = {
  full: {
    workerKills: { jobs: 300, killEveryMs: 10_000, kills: 12, workers: 2 },
    serverRestart: { jobs: 60, downMs: 8_000 },
    flakyLivy: { jobs: 200, errorRate: 0.3, dropRate: 0.1 },
    livyRestart: { jobs: 20, foreign: 30 },
    unreachable: { jobsPerCase: 6, outageMs: 30_000 },
    shortOutage: { jobs: 5, outageMs: outageMs(25) },
    forgotten: { jobs: 5 },
    doubleCancel: { jobs: 100, maxGapMs: 300 },
    cancelMatrix: { repeat: 3 },
    hostileSpecs: { cases: 10_000, workflows: 200 },
    hostilePayloads: { jobs: 6, payloadsPerHandler: 200 },
    secrets: { cliJobs: 4 },
  },
  quick: {
    workerKills: { jobs: 24, killEveryMs: 10_000, kills: 2, workers: 2 },
    serverRestart: { jobs: 8, downMs: 4_000 },
    flakyLivy: { jobs: 24, errorRate: 0.3, dropRate: 0.1 },
    livyRestart: { jobs: 4, foreign: 8 },
    unreachable: { jobsPerCase: 2, outageMs: 12_000 },
    // Longer than the submit activity's five quick tries (~15 s), so the outage outlasts them.
    shortOutage: { jobs: 2, outageMs: outageMs(18) },
    forgotten: { jobs: 2 },
    doubleCancel: { jobs: 20, maxGapMs: 300 },
    cancelMatrix: { repeat: 1 },
    hostileSpecs: { cases: 500, workflows: 24 },
    hostilePayloads: { jobs: 2, payloadsPerHandler: 20 },
    secrets: { cliJobs: 2 },
  },
};
