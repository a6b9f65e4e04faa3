/**
 * Shale's default deny list: Spark conf that would let a job change who it runs as, where its
 * credentials come from or how it is launched. It applies to every team, whatever its allow list.
 *
 * Two tiers:
 * - DENIED_CONF: never allowed. Identity (Kerberos, Hadoop/AWS identity variables, S3 roles and
 *   credential providers), credentials (filesystem keys, SSL passwords, the RPC secret), and
 *   launch mode (cluster mode on the cluster's YARN, which Livy batches rely on).
 * - EXPLICIT_ONLY_CONF: allowed only to a team whose allowedConfPrefixes names them explicitly
 *   (a prefix starting with the entry's own, e.g. "spark.executorEnv." or "spark.executorEnv.PYSPARK_";
 *   a broad "spark." does not count). Environment variables are where secrets and identities
 *   usually ride, and JVM options set Java system properties that do the same
 *   (-Daws.accessKeyId/-Daws.secretKey for the AWS SDK, -Djava.security.krb5.conf); Spark itself
 *   already refuses -Xmx and -Dspark.* there, so they cannot raise memory or bypass this list.
 *   Even then the identity variables of DENIED_CONF stay refused, and the contract refuses
 *   variable names and values that look like secrets.
 * Matching ignores case (a near-miss spelling is refused, never slipped through).
 */
export interface DeniedConf {
  /** A conf key; `*` matches any run of characters (dots included). */
  pattern: string;
  why: string;
}

const IDENTITY = "who the job runs as is the platform's to decide";
const S3_IDENTITY = "the S3 identity is the cluster's";
const CREDENTIAL = 'credentials live in worker config, never in a job spec';

export const DENIED_CONF: readonly DeniedConf[] = [
  { pattern: 'spark.kerberos.*', why: IDENTITY },
  { pattern: 'spark.yarn.keytab', why: IDENTITY },
  { pattern: 'spark.yarn.principal', why: IDENTITY },
  { pattern: 'spark.yarn.access.*', why: "delegation tokens for other filesystems are the platform's" },
  { pattern: 'spark.yarn.security.*', why: "credential providers are the platform's" },
  { pattern: 'spark.security.credentials.*', why: "credential providers are the platform's" },
  { pattern: 'spark.*Env.HADOOP_*', why: `${IDENTITY} (HADOOP_USER_NAME, HADOOP_PROXY_USER, HADOOP_CONF_DIR)` },
  { pattern: 'spark.*Env.SPARK_USER', why: IDENTITY },
  { pattern: 'spark.*Env.AWS_*', why: `${IDENTITY} (AWS credentials, profile and role variables)` },
  { pattern: 'spark.*Env.KRB5*', why: IDENTITY },
  { pattern: 'spark.hadoop.hadoop.security.*', why: "Hadoop security settings are the cluster's" },
  { pattern: 'spark.hadoop.hadoop.proxyuser.*', why: IDENTITY },
  { pattern: 'spark.submit.deployMode', why: 'Livy batches run in cluster mode' },
  { pattern: 'spark.master', why: "batches run on the cluster's YARN" },
  { pattern: 'spark.hadoop.fs.s3a.assumed.role.*', why: S3_IDENTITY },
  { pattern: 'spark.hadoop.fs.s3a.bucket.*.assumed.role.*', why: S3_IDENTITY },
  { pattern: 'spark.hadoop.fs.s3a.aws.credentials.provider', why: S3_IDENTITY },
  { pattern: 'spark.hadoop.fs.s3a.bucket.*.aws.credentials.provider', why: S3_IDENTITY },
  { pattern: 'spark.hadoop.fs.s3.customAWSCredentialsProvider', why: S3_IDENTITY },
  { pattern: 'spark.hadoop.fs.s3a.*.key', why: CREDENTIAL },
  { pattern: 'spark.hadoop.fs.s3a.*secret*', why: CREDENTIAL },
  { pattern: 'spark.hadoop.fs.s3a.*token*', why: CREDENTIAL },
  { pattern: '*fs.azure.account.key.*', why: CREDENTIAL },
  { pattern: '*fs.azure.sas.*', why: CREDENTIAL },
  { pattern: '*fs.azure.account.oauth*', why: CREDENTIAL },
  { pattern: '*fs.gs.auth.*', why: CREDENTIAL },
  { pattern: '*google.cloud.auth.*', why: CREDENTIAL },
  { pattern: 'spark.ssl.*password*', why: CREDENTIAL },
  { pattern: 'spark.ssl.*passphrase*', why: CREDENTIAL },
  { pattern: 'spark.authenticate', why: "RPC authentication is the cluster's" },
  { pattern: 'spark.authenticate.*', why: "RPC authentication is the cluster's" },
  { pattern: 'spark.acls.enable', why: "who may view and kill the app is the platform's to decide" },
  { pattern: 'spark.admin.acls*', why: "who may view and kill the app is the platform's to decide" },
  { pattern: 'spark.modify.acls*', why: "who may view and kill the app is the platform's to decide" },
];

export interface ExplicitOnlyConf {
  /** Keys starting with this (ignoring case) need a team prefix that starts with it. */
  prefix: string;
  why: string;
}

const ENVIRONMENT = 'environment variables can carry secrets and identities';
const JVM_OPTIONS = 'JVM options set system properties that can carry credentials or change identity';

export const EXPLICIT_ONLY_CONF: readonly ExplicitOnlyConf[] = [
  { prefix: 'spark.executorEnv.', why: ENVIRONMENT },
  { prefix: 'spark.yarn.appMasterEnv.', why: ENVIRONMENT },
  { prefix: 'spark.driver.extraJavaOptions', why: JVM_OPTIONS },
  { prefix: 'spark.executor.extraJavaOptions', why: JVM_OPTIONS },
  { prefix: 'spark.driver.defaultJavaOptions', why: JVM_OPTIONS },
  { prefix: 'spark.executor.defaultJavaOptions', why: JVM_OPTIONS },
  { prefix: 'spark.yarn.am.extraJavaOptions', why: JVM_OPTIONS },
];

function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 'i');
}

const DENIED = DENIED_CONF.map((entry) => ({ ...entry, regex: globToRegExp(entry.pattern) }));

/** The entry of the never-allowed tier the key falls under, if any. */
export function deniedConf(key: string): DeniedConf | undefined {
  const hit = DENIED.find((entry) => entry.regex.test(key));
  return hit && { pattern: hit.pattern, why: hit.why };
}

/** The entry of the explicit-only tier the key falls under, if any. */
export function explicitOnlyConf(key: string): ExplicitOnlyConf | undefined {
  const lower = key.toLowerCase();
  return EXPLICIT_ONLY_CONF.find((entry) => lower.startsWith(entry.prefix.toLowerCase()));
}

/** Whether one of the team's prefixes names the tier explicitly and covers the key. */
export function allowsExplicitly(entry: ExplicitOnlyConf, key: string, teamPrefixes: readonly string[]): boolean {
  return teamPrefixes.some((prefix) => prefix.startsWith(entry.prefix) && key.startsWith(prefix));
}
