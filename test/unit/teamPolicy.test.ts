import { describe, expect, it } from 'vitest';
import { DEFAULT_SIZE_SETTINGS, parseJobSpec, type JobSpec } from '../../contract';
import { policyRefusals, policyViolation, teamPolicySchema, type TeamPolicy } from '../../activities/policy/teamPolicy';
import { DENIED_CONF } from '../../activities/policy/confDenyList';

function spec(extra: Record<string, unknown> = {}, team = 'etl'): JobSpec {
  const result = parseJobSpec({ name: 'job', team, kind: 'pyspark', file: 's3://b/main.py', ...extra });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.spec;
}

/** A valid spec with conf set after validation: the policy is a defence of its own, whatever the contract refuses first. */
const withConf = (conf: Record<string, string>): JobSpec => ({ ...spec(), conf });

const check = (s: JobSpec, teams: Record<string, TeamPolicy>) => policyViolation(s, teams, DEFAULT_SIZE_SETTINGS);

/** The most permissive policy a team can have: the deny list still holds. */
const OPEN: Record<string, TeamPolicy> = { etl: { maxSize: 'EXTRA_LARGE', allowSizeOverrides: true, allowedConfPrefixes: ['spark.'] } };

describe('the default deny list (issue 9, item 9: identity and launch mode through conf)', () => {
  it.each([
    ['spark.kerberos.keytab', '/etc/security/hdfs.keytab', 'spark.kerberos.*'],
    ['spark.kerberos.principal', 'hdfs@ACME.COM', 'spark.kerberos.*'],
    ['spark.yarn.keytab', '/etc/hdfs.keytab', 'spark.yarn.keytab'],
    ['spark.yarn.principal', 'hdfs@ACME.COM', 'spark.yarn.principal'],
    ['spark.submit.deployMode', 'client', 'spark.submit.deployMode'],
    ['spark.master', 'local[*]', 'spark.master'],
    ['spark.hadoop.fs.s3a.assumed.role.arn', 'arn:aws:iam::1:role/admin', 'spark.hadoop.fs.s3a.assumed.role.*'],
    ['spark.hadoop.fs.s3a.bucket.raw.assumed.role.arn', 'arn:aws:iam::1:role/admin', 'spark.hadoop.fs.s3a.bucket.*.assumed.role.*'],
    ['spark.hadoop.fs.s3a.aws.credentials.provider', 'com.amazonaws.auth.EnvironmentVariableCredentialsProvider', 'spark.hadoop.fs.s3a.aws.credentials.provider'],
    ['spark.hadoop.fs.s3.customAWSCredentialsProvider', 'com.acme.Mine', 'spark.hadoop.fs.s3.customAWSCredentialsProvider'],
    ['spark.executorEnv.HADOOP_USER_NAME', 'hdfs', 'spark.*Env.HADOOP_*'],
    ['spark.yarn.appMasterEnv.HADOOP_PROXY_USER', 'hdfs', 'spark.*Env.HADOOP_*'],
    ['spark.executorEnv.SPARK_USER', 'hdfs', 'spark.*Env.SPARK_USER'],
    ['spark.yarn.appMasterEnv.AWS_PROFILE', 'admin', 'spark.*Env.AWS_*'],
    ['spark.authenticate', 'false', 'spark.authenticate'],
    ['spark.acls.enable', 'false', 'spark.acls.enable'],
    ['spark.hadoop.hadoop.security.authentication', 'simple', 'spark.hadoop.hadoop.security.*'],
    ['spark.yarn.access.hadoopFileSystems', 'hdfs://other', 'spark.yarn.access.*'],
  ])('refuses %s=%s for every team, whatever its allow list, naming the key and the pattern', (key, value, pattern) => {
    const message = check(withConf({ [key]: value }), OPEN);
    expect(message).toMatch(new RegExp(`^conf ${key.replace(/[.*]/g, '\\$&')} is refused by the default deny list \\(${pattern.replace(/[.*]/g, '\\$&')}: `));
    // nor does listing the exact key in allowedConfPrefixes lift it
    expect(check(withConf({ [key]: value }), { etl: { allowedConfPrefixes: [key] } })).toMatch(/is refused by the default deny list \(/);
  });

  it('ignores case: a near-miss spelling is refused, not slipped through', () => {
    expect(check(spec({ conf: { 'spark.Kerberos.Keytab': 'x' } }), OPEN)).toMatch(/default deny list \(spark\.kerberos\.\*/);
  });

  it('every entry has a reason', () => {
    for (const entry of DENIED_CONF) expect(entry.why.length, entry.pattern).toBeGreaterThan(10);
  });
});

describe('explicit-only conf: environment variables and JVM options', () => {
  const keys = [
    ['spark.executorEnv.PYSPARK_PYTHON', './env/bin/python', 'spark.executorEnv.'],
    ['spark.yarn.appMasterEnv.PYSPARK_PYTHON', './env/bin/python', 'spark.yarn.appMasterEnv.'],
    ['spark.driver.extraJavaOptions', '-Daws.accessKeyId=x', 'spark.driver.extraJavaOptions'],
    ['spark.executor.extraJavaOptions', '-Djava.security.krb5.conf=/tmp/krb5.conf', 'spark.executor.extraJavaOptions'],
  ] as const;

  it.each(keys)('refuses %s without an explicit prefix, saying how to allow it', (key, value, prefix) => {
    for (const teams of [{}, OPEN]) {
      const path = Object.keys(teams).length ? 'teams.etl' : 'teams.*';
      expect(check(spec({ conf: { [key]: value } }), teams)).toBe(
        `conf ${key} is refused by the default deny list unless the team allows it explicitly (${prefix}: ${
          prefix.includes('Env') ? 'environment variables can carry secrets and identities' : 'JVM options set system properties that can carry credentials or change identity'
        }; list "${prefix}" or a narrower prefix in ${path}.allowedConfPrefixes)`,
      );
    }
  });

  it.each(keys)('allows %s to a team that names it', (key, value, prefix) => {
    expect(check(spec({ conf: { [key]: value } }), { etl: { allowedConfPrefixes: [prefix] } })).toBeUndefined();
  });

  it('a narrower prefix allows only what it covers', () => {
    const teams = { etl: { allowedConfPrefixes: ['spark.executorEnv.PYSPARK_'] } };
    expect(check(spec({ conf: { 'spark.executorEnv.PYSPARK_PYTHON': 'python3' } }), teams)).toBeUndefined();
    expect(check(spec({ conf: { 'spark.executorEnv.LD_PRELOAD': '/tmp/x.so' } }), teams)).toMatch(/unless the team allows it explicitly/);
  });

  it('an explicit allowance never lifts the identity variables', () => {
    const teams = { etl: { allowedConfPrefixes: ['spark.executorEnv.'] } };
    expect(check(spec({ conf: { 'spark.executorEnv.HADOOP_USER_NAME': 'hdfs' } }), teams)).toMatch(/default deny list \(spark\.\*Env\.HADOOP_\*/);
  });
});

describe('allowedConfPrefixes', () => {
  const teams: Record<string, TeamPolicy> = { analytics: { allowedConfPrefixes: ['spark.sql.', 'spark.app.'] } };

  it('refuses any key outside them, naming the key and the policy path', () => {
    expect(check(spec({ conf: { 'spark.sql.shuffle.partitions': '10' } }, 'analytics'), teams)).toBeUndefined();
    expect(check(spec({ conf: { 'spark.sql.shuffle.partitions': '10', 'spark.files.maxPartitionBytes': '1' } }, 'analytics'), teams)).toBe(
      "conf spark.files.maxPartitionBytes is outside team analytics's allowed conf prefixes (teams.analytics.allowedConfPrefixes)",
    );
  });

  it('a memory key outside them is refused by the prefixes, not counted twice', () => {
    expect(check(spec({ conf: { 'spark.executor.memoryOverhead': '8g' } }, 'analytics'), teams)).toBe(
      "conf spark.executor.memoryOverhead is outside team analytics's allowed conf prefixes (teams.analytics.allowedConfPrefixes)",
    );
  });

  it('unset, any key the deny list allows passes', () => {
    expect(check(spec({ conf: { 'spark.files.maxPartitionBytes': '1' } }), {})).toBeUndefined();
  });
});

describe('allowedProxyUsers (issue 9, item 9: proxyUser hdfs)', () => {
  it('refuses any proxyUser by default', () => {
    expect(check(spec({ proxyUser: 'hdfs' }), {})).toBe('proxyUser hdfs is not allowed for team etl (teams.*.allowedProxyUsers)');
    expect(check(spec({ proxyUser: 'hdfs' }), { etl: { maxSize: 'LARGE' } })).toBe('proxyUser hdfs is not allowed for team etl (teams.etl.allowedProxyUsers)');
  });

  it('allows exactly the listed users', () => {
    const teams = { etl: { allowedProxyUsers: ['svc_etl'] } };
    expect(check(spec({ proxyUser: 'svc_etl' }), teams)).toBeUndefined();
    expect(check(spec({ proxyUser: 'SVC_ETL' }), teams)).toMatch(/not allowed/);
    expect(check(spec({ proxyUser: 'hdfs' }), teams)).toMatch(/not allowed/);
    expect(check(spec(), teams)).toBeUndefined();
  });
});

describe('policyRefusals', () => {
  it('reports every refusal with its field, and policyViolation joins them', () => {
    const s = spec({ size: 'LARGE', proxyUser: 'hdfs', conf: { 'spark.kerberos.keytab': 'x', 'spark.executor.cores': '8' } });
    const teams = { etl: { maxSize: 'DEFAULT' as const } };
    const refusals = policyRefusals(s, teams, DEFAULT_SIZE_SETTINGS);
    expect(refusals.map((r) => r.field)).toEqual(['size', 'proxyUser', 'conf.spark.kerberos.keytab', 'conf.spark.executor.cores']);
    expect(policyViolation(s, teams, DEFAULT_SIZE_SETTINGS)).toBe(refusals.map((r) => r.message).join('; '));
  });

  it('lists at most 20 refusals in the message', () => {
    const conf = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`spark.kerberos.k${i}`, 'x']));
    expect(policyViolation(spec({ conf }), {}, DEFAULT_SIZE_SETTINGS)).toMatch(/; and 10 more$/);
  });
});

describe('teamPolicySchema', () => {
  it('fills defaults: no overrides, no proxy users, no prefix list', () => {
    expect(teamPolicySchema.parse({})).toEqual({ allowSizeOverrides: false, allowedProxyUsers: [] });
  });

  it('refuses malformed prefixes and users', () => {
    expect(teamPolicySchema.safeParse({ allowedConfPrefixes: ['spark sql'] }).success).toBe(false);
    expect(teamPolicySchema.safeParse({ allowedProxyUsers: ['a b'] }).success).toBe(false);
    expect(teamPolicySchema.safeParse({ allowedProxyUser: ['a'] }).success).toBe(false);
  });
});
