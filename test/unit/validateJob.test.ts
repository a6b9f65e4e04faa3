import { ApplicationFailure } from '@temporalio/activity';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SIZE_SETTINGS, ErrorType, MAX_SPEC_DEPTH, parseJobSpec, specFingerprint, type JobSpec } from '../../contract';
import { createJobValidation } from '../../activities/validateJob';
import type { TeamPolicy } from '../../activities/policy/teamPolicy';

const teams: Record<string, TeamPolicy> = { etl: { maxSize: 'DEFAULT' }, '*': { maxSize: 'SMALL' } };
const { validateJob } = createJobValidation({ teams, sizes: DEFAULT_SIZE_SETTINGS });

const input = { name: 'daily', team: 'etl', kind: 'pyspark', file: 's3://b/main.py', args: ['--day', '2024-01-01'] };

async function failure(spec: unknown): Promise<ApplicationFailure> {
  try {
    await validateJob({ jobId: 'job-1', spec });
  } catch (err) {
    expect(err).toBeInstanceOf(ApplicationFailure);
    return err as ApplicationFailure;
  }
  throw new Error('expected validateJob to fail');
}

describe('validateJob', () => {
  it('returns the normalized spec and its fingerprint, the one the client computes', async () => {
    const result = await validateJob({ jobId: 'job-1', spec: input });
    const parsed = parseJobSpec(input);
    expect(parsed.ok).toBe(true);
    const spec = (parsed as { spec: JobSpec }).spec;
    expect(result).toEqual({ spec, fingerprint: specFingerprint(spec) });
    expect(result.spec.retry).toEqual({ app: 1, infra: 3, initialBackoff: 30, maxBackoff: 600 });
  });

  it('validates a spec whose fingerprint matches but that lacks defaults (issue 9, item 6: it looped on a workflow-task failure)', async () => {
    const normalized = (await validateJob({ jobId: 'job-1', spec: input })).spec;
    const { retry: _retry, ...forged } = normalized;
    const result = await validateJob({ jobId: 'job-1', spec: forged });
    expect(result.spec.retry).toEqual(normalized.retry);
  });

  it('fails InvalidSpec, non-retryable, with field-level errors in message and details', async () => {
    const err = await failure({ ...input, team: 'NOT A TEAM', retry: { app: 99 } });
    expect(err.type).toBe(ErrorType.InvalidSpec);
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toBe('invalid job spec: team: 2-40 lowercase letters, digits or -, starting with a letter; retry.app: Too big: expected number to be <=10');
    expect(err.details).toEqual([
      [
        { field: 'team', message: '2-40 lowercase letters, digits or -, starting with a letter' },
        { field: 'retry.app', message: 'Too big: expected number to be <=10' },
      ],
    ]);
  });

  it('keeps odd input field-level: deep nesting, a throwing getter, a 1 MB conf value', async () => {
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 10_000; i++) deep = { a: deep };
    expect((await failure({ ...input, labels: deep })).message).toMatch(new RegExp(`^invalid job spec: labels(\\.a){${MAX_SPEC_DEPTH - 1}}: holds values nested`));
    const getter = {
      ...input,
      get args(): string[] {
        throw new Error('boom');
      },
    };
    expect((await failure(getter)).message).toBe('invalid job spec: args: could not be read (a getter or proxy threw)');
    expect((await failure({ ...input, conf: { 'spark.x': 'v'.repeat(1_048_576) } })).message).toBe(
      'invalid job spec: conf.spark.x: is 1048576 characters; at most 8192 allowed',
    );
  });

  it('lists ten errors in the message and all of them in the details', async () => {
    const err = await failure({ ...input, args: Array.from({ length: 25 }, () => 5) });
    expect(err.message).toMatch(/; and 15 more$/);
    expect((err.details![0] as unknown[]).length).toBe(25);
  });

  it('fails PolicyViolation, non-retryable, naming each key and policy path', async () => {
    const err = await failure({ ...input, proxyUser: 'hdfs', conf: { 'spark.kerberos.keytab': '/etc/hdfs.keytab' } });
    expect(err.type).toBe(ErrorType.PolicyViolation);
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toBe(
      "proxyUser hdfs is not allowed for team etl (teams.etl.allowedProxyUsers); conf spark.kerberos.keytab is refused by the default deny list (spark.kerberos.*: who the job runs as is the platform's to decide)",
    );
    expect(err.details).toEqual([
      [
        { field: 'proxyUser', message: expect.stringMatching(/^proxyUser hdfs/) },
        { field: 'conf.spark.kerberos.keytab', message: expect.stringMatching(/^conf spark\.kerberos\.keytab/) },
      ],
    ]);
  });

  it("applies '*' to teams not listed", async () => {
    const err = await failure({ ...input, team: 'newcomers', size: 'DEFAULT' });
    expect(err.message).toBe("size DEFAULT is over team newcomers's cap SMALL (teams.*.maxSize)");
  });
});
