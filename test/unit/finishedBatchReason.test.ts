/**
 * The reason a job records for a batch that ended badly comes from the app's own lines, never
 * from Livy's section markers (LIVY.md), read from logs shaped as the simulator and a real Livy
 * write them.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ErrorType } from '../../contract';
import { LivyClients, type LivyClient } from '../../activities/livy/client';
import { DEAD_DIAGNOSTICS, startLivySimulator, STDERR_MARKER, STDOUT_MARKER, type LivySimulator } from '../../dev/livy-sim/index';
import { jobErrorForFinishedBatch } from '../../workflows/failures';

describe('jobErrorForFinishedBatch on Livy logs with section markers', () => {
  it('an app that exits non-zero without an exception: its last real line, not the stderr marker', () => {
    const log = [STDOUT_MARKER, 'line 1 of J-a1', 'writing partition 7 of 9', STDERR_MARKER];
    expect(jobErrorForFinishedBatch('dead', log)).toEqual({
      type: ErrorType.AppFailed,
      class: 'app',
      message: 'the Spark app ended dead: exited without an error message; its last line: writing partition 7 of 9',
    });
  });

  // As a real Livy 0.7.1 logs a local-mode pyspark batch (seen in test/livy-real): batch mode merges stderr into
  // stdout, and Spark's own shutdown lines follow the app's last words. Before, the reason quoted a ShutdownHookManager line.
  const SPARK_SHUTDOWN = [
    '26/11/27 21:48:07 INFO SparkContext: Successfully stopped SparkContext',
    '26/11/27 21:48:07 INFO ShutdownHookManager: Shutdown hook called',
    '26/11/27 21:48:07 INFO ShutdownHookManager: Deleting directory /tmp/spark-5f0c2a4e',
  ];

  it('a real Livy: Spark\'s shutdown chatter after a non-zero exit is not the reason', () => {
    const log = [STDOUT_MARKER, '26/11/27 21:48:01 WARN Utils: Your hostname resolves to a loopback address', 'shale-test: no input files for the day', ...SPARK_SHUTDOWN, STDERR_MARKER];
    expect(jobErrorForFinishedBatch('dead', log)?.message).toBe('the Spark app ended dead: exited without an error message; its last line: shale-test: no input files for the day');
  });

  it('a real Livy: the traceback\'s error line, above Spark\'s shutdown chatter', () => {
    const log = [STDOUT_MARKER, 'Traceback (most recent call last):', '  File "/jobs/failing_app.py", line 9, in <module>', 'ValueError: shale-test: input partition 7 is corrupt', ...SPARK_SHUTDOWN, STDERR_MARKER];
    expect(jobErrorForFinishedBatch('dead', log)?.message).toBe('the Spark app ended dead: ValueError: shale-test: input partition 7 is corrupt');
  });

  it('never takes the YARN diagnostics marker for a diagnostic line', () => {
    const log = [STDOUT_MARKER, 'line 1', STDERR_MARKER, '\nYARN Diagnostics: '];
    expect(jobErrorForFinishedBatch('dead', log)?.message).toBe('the Spark app ended dead: exited without an error message; its last line: line 1');
    const withDiagnostics = [STDOUT_MARKER, 'line 1', STDERR_MARKER, '\nYARN Diagnostics: ', 'User class threw exception: java.io.IOException: disk full'];
    expect(jobErrorForFinishedBatch('dead', withDiagnostics)?.message).toBe('the Spark app ended dead: User class threw exception: java.io.IOException: disk full');
  });

  it('a log of markers only has no line to quote', () => {
    expect(jobErrorForFinishedBatch('dead', [STDOUT_MARKER, STDERR_MARKER])?.message).toBe('the Spark app ended dead: exited without an error message');
  });

  it('still sees an infra death behind the markers', () => {
    const log = [STDOUT_MARKER, STDERR_MARKER, '\nYARN Diagnostics: ', 'No YARN application is found with tag livy-batch-3-x in 120 seconds.'];
    expect(jobErrorForFinishedBatch('dead', log)).toMatchObject({ type: ErrorType.BatchLost, class: 'infra', message: expect.stringMatching(/No YARN application is found/) });
  });
});

describe('jobErrorForFinishedBatch on the simulator\'s logs', () => {
  let sim: LivySimulator;
  let clients: LivyClients;
  let client: LivyClient;

  beforeAll(async () => {
    sim = await startLivySimulator({ startingMs: 10 });
    clients = new LivyClients();
    client = clients.for(sim.url);
  });
  afterAll(async () => {
    await clients.close();
    await sim.close();
  });

  async function finishedLog(name: string, conf: Record<string, string>): Promise<string[]> {
    await client.createBatch({ name, file: 's3://b/x.py', conf: { 'shale.sim.durationMs': '0', ...conf } });
    await vi.waitFor(async () => expect((await client.getBatch(name)).state).toBe('dead'), { timeout: 3_000, interval: 10 });
    return (await client.getLog(name, 50)).log;
  }

  it('exit-nonzero: the log ends with the stderr marker, the reason is the app\'s last line', async () => {
    const log = await finishedLog('silent-a1', { 'shale.sim.outcome': 'exit-nonzero', 'shale.sim.logLines': '4' });
    expect(log.at(-1)).toBe(STDERR_MARKER);
    expect(jobErrorForFinishedBatch('dead', log)?.message).toBe('the Spark app ended dead: exited without an error message; its last line: line 4 of silent-a1');
  });

  it('a failed app: the reason is YARN\'s diagnostics line', async () => {
    const log = await finishedLog('failed-a1', { 'shale.sim.outcome': 'dead', 'shale.sim.logLines': '4' });
    expect(jobErrorForFinishedBatch('dead', log)?.message).toBe(`the Spark app ended dead: ${DEAD_DIAGNOSTICS}`);
  });
});
