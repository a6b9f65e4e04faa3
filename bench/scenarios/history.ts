/**
 * History events of a single-attempt job lasting 1 minute and 24 hours, on the time-skipping
 * server: Shale's workflow on a fake cluster whose batch time runs on a virtual clock, beside the
 * naive timer-polling workflow (one GET activity and one 10 s timer per poll).
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { parseJobSpec, specFingerprint, type SparkJobInput } from '../../contract';
import { resolveTools } from '../../dev/stack/tools';
import { FakeCluster, FAST, virtualClock } from '../../test/support/fakeActivities';
import { registerSearchAttributes } from '../../client/registerSearchAttributes';
import { scriptedNaiveActivities } from '../baselines/activities';
import type { NaiveJobInput } from '../baselines/types';
import { BASELINE_WORKFLOWS_PATH } from '../baselines/workflowsPath';

const POLL_SECONDS = 10;

export interface HistoryFigures {
  shale1Min: number;
  shale24H: number;
  naive1Min: number;
  naive1H: number;
  /** The naive workflow's 24-hour history, extrapolated linearly from its 1-minute and 1-hour runs. */
  naive24HExtrapolated: number;
  naiveEventsPerPoll: number;
}

export async function measureHistory(shaleBundle: string): Promise<HistoryFigures> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: resolveTools().temporalTestServer } },
  });
  try {
    await registerSearchAttributes(env.connection, env.namespace ?? 'default');
    const shale = async (runningMs: number, n: number) => {
      const taskQueue = `history-shale-${n}`;
      const cluster = new FakeCluster(virtualClock(FAST), [{ outcome: 'success', runningMs }]);
      const worker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue,
        workflowBundle: { codePath: shaleBundle },
        activities: cluster.activities(),
        maxHeartbeatThrottleInterval: 1,
      });
      const parsed = parseJobSpec({ name: 'history', team: 'bench', kind: 'pyspark', file: 's3://bench/app.py' });
      if (!parsed.ok) throw new Error('bench spec invalid');
      const jobId = `bench-history-${n}-${Date.now()}`;
      const input: SparkJobInput = { jobId, spec: parsed.spec, fingerprint: specFingerprint(parsed.spec) };
      return worker.runUntil(async () => {
        const handle = await env.client.workflow.start('sparkJob', { taskQueue, workflowId: jobId, args: [input] });
        const status = (await handle.result()) as { state: string };
        if (status.state !== 'SUCCEEDED') throw new Error(`history job ended ${status.state}`);
        return (await handle.fetchHistory()).events?.length ?? NaN;
      });
    };
    const naive = async (runningMs: number, n: number) => {
      const taskQueue = `history-naive-${n}`;
      const polls = Math.ceil(runningMs / (POLL_SECONDS * 1000));
      const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath: BASELINE_WORKFLOWS_PATH, activities: scriptedNaiveActivities(polls) });
      const input: NaiveJobInput = { livyUrl: 'http://unused', name: `naive-${n}`, conf: {}, pollSeconds: POLL_SECONDS };
      return worker.runUntil(async () => {
        const handle = await env.client.workflow.start('naivePollingJob', { taskQueue, workflowId: `bench-naive-${n}-${Date.now()}`, args: [input] });
        await handle.result();
        return { events: (await handle.fetchHistory()).events?.length ?? NaN, polls: polls + 1 };
      });
    };
    const shale1Min = await shale(60_000, 1);
    const shale24H = await shale(24 * 3600_000, 2);
    const naiveMin = await naive(60_000, 3);
    const naiveHour = await naive(3600_000, 4);
    const perPoll = (naiveHour.events - naiveMin.events) / (naiveHour.polls - naiveMin.polls);
    const polls24H = (24 * 3600) / POLL_SECONDS + 1;
    return {
      shale1Min,
      shale24H,
      naive1Min: naiveMin.events,
      naive1H: naiveHour.events,
      naive24HExtrapolated: Math.round(naiveMin.events + perPoll * (polls24H - naiveMin.polls)),
      naiveEventsPerPoll: perPoll,
    };
  } finally {
    await env.teardown();
  }
}
