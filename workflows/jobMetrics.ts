/**
 * Shale's job metrics, emitted from workflow code through Temporal's replay-safe metric meter
 * (nothing is emitted while replaying), exported with the worker's Prometheus endpoint.
 */
import { metricMeter } from '@temporalio/workflow';

const jobsSubmitted = metricMeter.createCounter('shale_jobs_submitted', 'jobs', 'Jobs accepted by a worker');
const jobsFinished = metricMeter.createCounter('shale_jobs_finished', 'jobs', 'Jobs that ended, by final state');
const attemptsFinished = metricMeter.createCounter('shale_attempts_finished', 'attempts', 'Attempts that ended, by outcome (failure class)');
const jobDuration = metricMeter.createHistogram('shale_job_duration_seconds', 'float', 's', 'Time from acceptance to the end of the job');

export const jobMetrics = {
  submitted(team: string): void {
    jobsSubmitted.add(1, { team });
  },
  finished(team: string, state: string, seconds: number): void {
    jobsFinished.add(1, { team, state });
    jobDuration.record(Math.max(0, seconds), { team, state });
  },
  attemptFinished(team: string, outcome: string, cluster: string | undefined): void {
    attemptsFinished.add(1, { team, outcome, cluster: cluster ?? 'none' });
  },
};
