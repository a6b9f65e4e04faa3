/**
 * ShaleClient.cancel against a scripted Temporal client: each error Temporal can answer an Update
 * with, in the order a race produces them. The end-to-end double-cancel race is in
 * test/e2e/cancelRace.test.ts; these pin down each branch deterministically.
 */
import { ServiceError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, type Client } from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter, WorkflowNotFoundError } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { cancelUpdateId, GRPC, isTransientError, retryDelayMs } from '../../client/cancelRequest';
import { CancelNotConfirmedError, InvalidCancelError } from '../../client/errors';
import { pinnedBuildId, ShaleClient } from '../../client/shaleClient';
import proto from '@temporalio/proto';
import type { CancelAnswer, CancelArgs, JobStatus } from '../../contract';

type RunState = 'RUNNING' | 'COMPLETED';

interface Script {
  /** Each describe() returns the next of these (the last one repeats). */
  runs: { runId: string; status: RunState }[];
  /** Each executeUpdate() takes the next of these: an answer, or an error to throw. */
  updates: (CancelAnswer | Error)[];
  /** What the ended job's result (status) is. */
  finalStatus?: Partial<JobStatus>;
  /** Update completions in the run's history: updateId → answer. */
  historyAnswers?: Record<string, CancelAnswer>;
  pollers?: { lastAccessTime?: { seconds: number }; deploymentOptions?: { buildId: string } }[];
  /** The run's Worker Versioning info, as DescribeWorkflowExecution gives it. */
  versioningInfo?: object;
}

function grpcError(code: number, details: string): Error {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });
}

function fakeTemporal(script: Script) {
  const calls = { describe: 0, updates: [] as { runId?: string; updateId?: string; args: CancelArgs }[], signals: [] as { runId?: string; args: CancelArgs }[] };
  const describe = () => {
    const run = script.runs[Math.min(calls.describe++, script.runs.length - 1)]!;
    return {
      workflowId: 'job-1',
      runId: run.runId,
      status: { name: run.status },
      taskQueue: 'shale-q',
      memo: {},
      startTime: new Date(0),
      typedSearchAttributes: { get: () => 'RUNNING' },
      raw: { workflowExecutionInfo: { versioningInfo: script.versioningInfo } },
    };
  };
  const status: JobStatus = {
    jobId: 'job-1', name: 'n', team: 't', kind: 'pyspark', state: 'CANCELLED', labels: {}, fingerprint: '', createdAt: '', updatedAt: '',
    attempts: [], budgets: { appFailures: 0, appRetries: 0, infraFailures: 0, infraRetries: 0 }, logTail: [],
    ...script.finalStatus,
  };
  const handle = (_id: string, runId?: string) => ({
    describe: async () => describe(),
    result: async () => status,
    executeUpdate: async (_def: unknown, options: { args: [CancelArgs]; updateId?: string }) => {
      calls.updates.push({ runId, updateId: options.updateId, args: options.args[0] });
      const next = script.updates.shift();
      if (!next) throw new Error('no more scripted updates');
      if (next instanceof Error) throw next;
      return next;
    },
    signal: async (_def: unknown, args: CancelArgs) => {
      calls.signals.push({ runId, args });
    },
    fetchHistory: async () => ({
      events: Object.entries(script.historyAnswers ?? {}).map(([updateId, answer]) => ({
        workflowExecutionUpdateCompletedEventAttributes: {
          meta: { updateId },
          outcome: { success: { payloads: [defaultPayloadConverter.toPayload(answer)] } },
        },
      })),
    }),
  });
  const temporal = {
    options: { namespace: 'default' },
    workflow: { getHandle: handle },
    withDeadline: (_deadline: number, fn: () => Promise<unknown>) => fn(),
    workflowService: { describeTaskQueue: async () => ({ pollers: script.pollers ?? [{ lastAccessTime: { seconds: Math.floor(Date.now() / 1000) } }] }) },
  };
  return { client: new ShaleClient(temporal as unknown as Client, { identity: 'tester@unit' }), calls };
}

const accepted: CancelAnswer = { accepted: true, state: 'RUNNING', message: 'cancel accepted while RUNNING' };
/** What an Update call gets when no worker takes the Update before the call's deadline. */
const noAnswer = () => new WorkflowUpdateRPCTimeoutOrCancelledError('Workflow update call timeout or cancelled', { cause: grpcError(GRPC.DEADLINE_EXCEEDED, 'deadline exceeded') });
const unavailable = () => new ServiceError('Workflow Update failed', { cause: grpcError(GRPC.UNAVAILABLE, 'connection reset') });

describe('ShaleClient.cancel', () => {
  it('names its Update after the request id, and sends that id along, so a retry is the same request', async () => {
    const { client, calls } = fakeTemporal({ runs: [{ runId: 'r1', status: 'RUNNING' }], updates: [accepted] });
    const answer = await client.cancel('job-1', { reason: 'why', requestId: 'req-7' });
    expect(answer).toEqual({ ...accepted, requestId: 'req-7' });
    expect(calls.updates).toEqual([{ runId: 'r1', updateId: cancelUpdateId('req-7'), args: { reason: 'why', requestedBy: 'tester@unit', requestId: 'req-7' } }]);
  });

  it('generates a request id when none is given, and reports it', async () => {
    const { client, calls } = fakeTemporal({ runs: [{ runId: 'r1', status: 'RUNNING' }], updates: [accepted] });
    const answer = await client.cancel('job-1');
    expect(answer.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(calls.updates[0]!.updateId).toBe(cancelUpdateId(answer.requestId));
  });

  it('retries transient errors (Unavailable, an Update call that timed out, ResourceExhausted) with the same Update ID', async () => {
    const { client, calls } = fakeTemporal({
      runs: [{ runId: 'r1', status: 'RUNNING' }],
      updates: [
        unavailable(),
        new WorkflowUpdateRPCTimeoutOrCancelledError('timed out', { cause: grpcError(GRPC.DEADLINE_EXCEEDED, 'deadline') }),
        new ServiceError('busy', { cause: grpcError(GRPC.RESOURCE_EXHAUSTED, 'too many outstanding updates') }),
        accepted,
      ],
    });
    const answer = await client.cancel('job-1', { requestId: 'req-1' });
    expect(answer).toMatchObject(accepted);
    expect(calls.updates.map((u) => u.updateId)).toEqual(Array(4).fill(cancelUpdateId('req-1')));
  });

  it('answers accepted when the run ended before the Update completed but its record shows this request was the accepted cancel', async () => {
    // The race of issue 9 item 5: the Update was applied, then the run completed and the answer was lost.
    const { client } = fakeTemporal({
      runs: [{ runId: 'r1', status: 'RUNNING' }, { runId: 'r1', status: 'COMPLETED' }],
      updates: [new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ message: 'Workflow Update failed because the Workflow completed before the Update completed.' }))],
      finalStatus: { state: 'CANCELLED', cancel: { requestedBy: 'tester@unit', reason: 'r', at: '', via: 'update', requestId: 'req-2', stateAtAcceptance: 'RUNNING' } },
    });
    expect(await client.cancel('job-1', { requestId: 'req-2' })).toEqual({
      accepted: true, state: 'RUNNING', message: 'cancel accepted while RUNNING', requestId: 'req-2',
    });
  });

  it("answers from the job's final status when the run completed meanwhile and another request was the accepted one", async () => {
    const { client } = fakeTemporal({
      runs: [{ runId: 'r1', status: 'RUNNING' }, { runId: 'r1', status: 'COMPLETED' }],
      updates: [new WorkflowNotFoundError('workflow execution already completed', 'job-1', 'r1')],
      finalStatus: { state: 'CANCELLED', cancel: { requestedBy: 'other', reason: 'r', at: '', via: 'update', requestId: 'req-first' } },
    });
    const answer = await client.cancel('job-1', { requestId: 'req-second' });
    expect(answer).toMatchObject({ accepted: false, state: 'CANCELLED' });
    expect(answer.message).toMatch(/^the job already ended CANCELLED/);
  });

  it("takes the Update's recorded answer from the ended run's history when the status does not carry the request id", async () => {
    const { client } = fakeTemporal({
      runs: [{ runId: 'r1', status: 'COMPLETED' }],
      updates: [],
      finalStatus: { state: 'CANCELLED' },
      historyAnswers: { [cancelUpdateId('req-3')]: accepted },
    });
    expect(await client.cancel('job-1', { requestId: 'req-3' })).toEqual({ ...accepted, requestId: 'req-3' });
  });

  it('follows the job to its new run when the run it aimed at continued as new', async () => {
    const { client, calls } = fakeTemporal({
      runs: [{ runId: 'r1', status: 'RUNNING' }, { runId: 'r2', status: 'RUNNING' }],
      updates: [new WorkflowNotFoundError('workflow execution already completed', 'job-1', 'r1'), accepted],
    });
    expect(await client.cancel('job-1', { requestId: 'req-4' })).toMatchObject(accepted);
    expect(calls.updates.map((u) => [u.runId, u.updateId])).toEqual([
      ['r1', cancelUpdateId('req-4')],
      ['r2', cancelUpdateId('req-4')],
    ]);
  });

  it("passes on the workflow's own refusal (the run is still running): that is the answer, not a race", async () => {
    const refusal = new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ message: 'reason: must be a string' }));
    const { client } = fakeTemporal({ runs: [{ runId: 'r1', status: 'RUNNING' }], updates: [refusal] });
    await expect(client.cancel('job-1')).rejects.toBe(refusal);
  });

  it('refuses arguments the workflow would refuse, before sending anything', async () => {
    const { client, calls } = fakeTemporal({ runs: [{ runId: 'r1', status: 'RUNNING' }], updates: [accepted] });
    await expect(client.cancel('job-1', { reason: 'x'.repeat(5000) })).rejects.toBeInstanceOf(InvalidCancelError);
    expect(calls.updates).toEqual([]);
  });

  it('gives up after its timeout with an error that names the request id to retry with', async () => {
    const { client } = fakeTemporal({ runs: [{ runId: 'r1', status: 'RUNNING' }], updates: Array.from({ length: 100 }, unavailable) });
    const started = Date.now();
    const err = await client.cancel('job-1', { requestId: 'req-5', timeoutMs: 1_000 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(err).toBeInstanceOf(CancelNotConfirmedError);
    expect((err as Error).message).toContain('--request-id req-5');
  });

  it('with no worker polling, still takes an answer from a worker the poller list did not show yet', async () => {
    const { client, calls } = fakeTemporal({ runs: [{ runId: 'r1', status: 'RUNNING' }], updates: [accepted], pollers: [] });
    expect(await client.cancel('job-1')).toMatchObject(accepted);
    expect(calls.signals).toEqual([]);
  });

  it('with no worker polling the task queue, sends the cancel as a signal and says so at once', async () => {
    const stale = { lastAccessTime: { seconds: Math.floor(Date.now() / 1000) - 600 } };
    const { client, calls } = fakeTemporal({ runs: [{ runId: 'r1', status: 'RUNNING' }], updates: [noAnswer()], pollers: [stale] });
    const answer = await client.cancel('job-1', { reason: 'deploy', requestId: 'req-6' });
    expect(answer).toMatchObject({ accepted: false, requestId: 'req-6' });
    expect(answer.message).toMatch(/no worker polls task queue "shale-q"/);
    // One short Update try (the poller list can lag a worker that just started), then the signal.
    expect(calls.updates).toHaveLength(1);
    expect(calls.signals).toEqual([{ runId: 'r1', args: { reason: 'deploy', requestedBy: 'tester@unit', requestId: 'req-6' } }]);
  });
});

describe('a run pinned to a build (Worker Versioning)', () => {
  const now = () => ({ seconds: Math.floor(Date.now() / 1000) });
  const pinnedTo = (buildId: string) => ({
    behavior: proto.temporal.api.enums.v1.VersioningBehavior.VERSIONING_BEHAVIOR_PINNED,
    deploymentVersion: { deploymentName: 'shale', buildId },
  });

  it('counts only workers of its build: with none polling, the cancel goes in as a signal and the answer names the build', async () => {
    const { client, calls } = fakeTemporal({
      runs: [{ runId: 'r1', status: 'RUNNING' }],
      updates: [noAnswer()],
      versioningInfo: pinnedTo('0.1.0-old'),
      pollers: [{ lastAccessTime: now(), deploymentOptions: { buildId: '0.2.0-new' } }],
    });
    const answer = await client.cancel('job-1', { requestId: 'req-8' });
    expect(answer.message).toMatch(/no worker of build 0\.1\.0-old \(the job is pinned to it\) polls task queue "shale-q"/);
    expect(calls.signals).toHaveLength(1);
  });

  it('sends the Update when a worker of its build polls', async () => {
    const { client, calls } = fakeTemporal({
      runs: [{ runId: 'r1', status: 'RUNNING' }],
      updates: [accepted],
      versioningInfo: pinnedTo('0.1.0-old'),
      pollers: [{ lastAccessTime: now(), deploymentOptions: { buildId: '0.2.0-new' } }, { lastAccessTime: now(), deploymentOptions: { buildId: '0.1.0-old' } }],
    });
    expect(await client.cancel('job-1')).toMatchObject(accepted);
    expect(calls.signals).toEqual([]);
  });

  it('reads the build from a pinned override, and ignores the build of an auto-upgrade run', () => {
    const raw = (versioningInfo: object) => ({ raw: { workflowExecutionInfo: { versioningInfo } } }) as unknown as Parameters<typeof pinnedBuildId>[0];
    expect(pinnedBuildId(raw({ versioningOverride: { pinned: { version: { deploymentName: 'shale', buildId: 'hotfix' } } } }))).toBe('hotfix');
    expect(pinnedBuildId(raw({ behavior: proto.temporal.api.enums.v1.VersioningBehavior.VERSIONING_BEHAVIOR_AUTO_UPGRADE, deploymentVersion: { buildId: 'x' } }))).toBeUndefined();
    expect(pinnedBuildId(raw({}))).toBeUndefined();
  });
});

describe('cancel retry helpers', () => {
  it('tells transient errors from the rest, through the SDK wrappers', () => {
    expect(isTransientError(unavailable())).toBe(true);
    expect(isTransientError(grpcError(GRPC.ABORTED, 'x'))).toBe(true);
    expect(isTransientError(new ServiceError('x', { cause: grpcError(3 /* INVALID_ARGUMENT */, 'bad') }))).toBe(false);
    expect(isTransientError(new WorkflowNotFoundError('gone', 'j', undefined))).toBe(false);
    expect(isTransientError(new Error('boom'))).toBe(false);
  });

  it('backs off exponentially with full jitter, capped at 2 s', () => {
    expect(retryDelayMs(0, () => 1)).toBe(100);
    expect(retryDelayMs(3, () => 1)).toBe(800);
    expect(retryDelayMs(10, () => 1)).toBe(2_000);
    expect(retryDelayMs(10, () => 0)).toBe(0);
  });
});
