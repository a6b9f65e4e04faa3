/**
 * The job contract is validated again inside the workflow: a spec that reaches it without going
 * through a client (e.g. `temporal workflow start` by hand) fails the job at once with a
 * non-retryable InvalidSpec failure naming the fields, from its first activity (validateJob), before
 * anything is routed or submitted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FieldError, JobSpecInput } from '../../contract';
import { activitiesScheduled, EventType, eventsOfType } from '../support/history';
import { baseSpec, batchOf, withJob } from '../support/jobHarness';
import { timeSkippingEnv } from '../support/workflowEnv';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await timeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

const { team: _team, ...withoutTeam } = baseSpec;

const INVALID: Array<{ what: string; spec: unknown; fields: string[] }> = [
  { what: 'no team', spec: withoutTeam, fields: ['team'] },
  {
    what: 'a bad file URI, a credential in conf',
    spec: { ...baseSpec, file: 'ftp://host/app.py', conf: { 'spark.hadoop.fs.s3a.secret.key': 'hunter2' } },
    fields: ['file', 'conf.spark.hadoop.fs.s3a.secret.key'],
  },
  { what: 'an unknown field, a bad duration', spec: { ...baseSpec, colour: 'red', timeouts: { queue: 'soon' } }, fields: ['(spec)', 'timeouts.queue'] },
  { what: 'an unknown kind', spec: { ...baseSpec, kind: 'scala' }, fields: ['kind'] },
  { what: 'maxBackoff under initialBackoff', spec: { ...baseSpec, retry: { initialBackoff: '10m', maxBackoff: '1m' } }, fields: ['retry.maxBackoff'] },
  { what: 'not an object', spec: 'spark-submit app.py', fields: ['(spec)'] },
];

describe('a spec given straight to the workflow', () => {
  it.each(INVALID.map((c) => ({ ...c, named: c.fields.join(', ') })))(
    'with $what fails the job: non-retryable InvalidSpec naming $named, nothing routed or submitted',
    async ({ spec, fields }) => {
    const input = (jobId: string) => ({ jobId, spec: spec as JobSpecInput, fingerprint: 'not-checked' });
    await withJob(env, { scripts: [{}], input }, async (job) => {
      const err: unknown = await job.result().then(
        (status) => status,
        (e: unknown) => e,
      );

      expect(err).toBeInstanceOf(WorkflowFailedError);
      const failure = (err as WorkflowFailedError).cause;
      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect(failure).toMatchObject({ type: 'InvalidSpec', nonRetryable: true });
      for (const field of fields) expect(failure!.message).toContain(`${field}: `);
      const details = (failure as ApplicationFailure).details?.[0] as FieldError[];
      expect(details.map((d) => d.field)).toEqual(expect.arrayContaining(fields));
      expect(details.every((d) => d.message.length > 0)).toBe(true);

      const history = await job.history();
      // Validation is the first activity (the workflow sandbox stays free of the schema); nothing after it ran.
      expect(activitiesScheduled(history)).toEqual(['validateJob']);
      expect(eventsOfType(history, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)).toHaveLength(2);
      expect(history.events!.at(-1)!.eventType).toBe(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED);
      expect(job.cluster.routes).toEqual([]);
      expect(job.cluster.submits).toEqual([]);
      expect(job.cluster.kills).toEqual([]);
    });
    },
  );

  it('as a caller wrote it (durations as text, defaults left out) is normalized and runs', async () => {
    const spec: JobSpecInput = { ...baseSpec, retry: { initialBackoff: '30s', maxBackoff: '10m' }, timeouts: { queue: '2h' } };
    const input = (jobId: string) => ({ jobId, spec, fingerprint: 'not-checked' });
    await withJob(env, { scripts: [{}], input }, async (job) => {
      const status = await job.result();
      expect(status.state).toBe('SUCCEEDED');
      expect(job.cluster.posts).toEqual([batchOf(job.jobId, 1)]);
      expect(job.cluster.submits).toHaveLength(1);
    });
  });
});
