/**
 * `shale`: submit, watch and cancel Spark jobs; run a worker or the HTTP API. Human output by
 * default, --json for scripts, exit codes that say how the job ended (client/exitCodes.ts).
 *
 * Only commander is loaded up front: each command imports what it uses (the Temporal client, the
 * spec schema, the worker), so `shale --help` or a usage error answers at once.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { JobStatus } from '../contract';
import type { TemporalConnectionOverrides } from './connectionConfig';
import { ExitCode, exitCodeForState } from './exitCodes';
import type { LogChunk } from './logs';
import type { ShaleClient } from './shaleClient';
import type { SpecFlags } from './specInput';

interface GlobalOptions {
  address?: string;
  namespace?: string;
  profile?: string;
  configFile?: string;
  taskQueue: string;
  json?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** A whole number ≥ min, or a usage error (exit 2) naming the option, rather than NaN sent on to the server. */
function wholeNumber(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`expected a whole number ≥ ${min}`);
    return n;
  };
}

function print(json: boolean | undefined, value: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}

/** The connection flags as connectionConfig.ts takes them: each one given beats the environment and profiles. */
function connectionFlags(opts: GlobalOptions): TemporalConnectionOverrides {
  return { address: opts.address, namespace: opts.namespace, profile: opts.profile, configFile: opts.configFile, origin: '--address' };
}

async function withClient<T>(opts: GlobalOptions, fn: (client: ShaleClient) => Promise<T>): Promise<T> {
  const [{ loadTemporalConnection, isUnavailableError, TemporalUnavailableError }, { ShaleClient }] = await Promise.all([
    import('./connectionConfig'),
    import('./shaleClient'),
  ]);
  const flags = connectionFlags(opts);
  // Resolved here too (a bad profile is a usage error before any network) and to name the address if it goes away mid-command.
  const settings = loadTemporalConnection(flags);
  const client = await ShaleClient.connect({ ...flags, taskQueue: opts.taskQueue });
  try {
    return await fn(client);
  } catch (err) {
    if (isUnavailableError(err)) throw new TemporalUnavailableError(settings.address, settings.addressFrom, err);
    throw err;
  } finally {
    await client.close();
  }
}

/**
 * `shale worker` and `shale api` read Temporal's settings from their config file and the
 * environment (worker/config.ts); connection flags given to the CLI beat both, as everywhere.
 */
function applyConnectionFlagsToEnv(cmd: Command): void {
  const opts = cmd.optsWithGlobals() as GlobalOptions;
  const fromCli = (name: string) => cmd.parent?.getOptionValueSource(name) === 'cli';
  if (opts.address) process.env.SHALE_TEMPORAL_ADDRESS = opts.address;
  if (opts.namespace) process.env.SHALE_TEMPORAL_NAMESPACE = opts.namespace;
  if (opts.profile) process.env.TEMPORAL_PROFILE = opts.profile;
  if (opts.configFile) process.env.TEMPORAL_CONFIG_FILE = opts.configFile;
  if (fromCli('taskQueue')) process.env.SHALE_TASK_QUEUE = opts.taskQueue;
}

/**
 * Progress goes to stderr so stdout stays the final answer (one JSON document with --json). On a
 * terminal the current line is redrawn every second (elapsed time ticking); piped, one line per change.
 */
async function waitAndReport(client: ShaleClient, jobId: string, json: boolean | undefined): Promise<JobStatus> {
  const { formatProgress, formatStatus } = await import('./format');
  const live = process.stderr.isTTY;
  let latest: JobStatus | undefined;
  const redraw = () => latest && process.stderr.write(`\r\x1b[2K${formatProgress(latest)}`);
  const ticker = live ? setInterval(redraw, 1000) : undefined;
  try {
    const status = await client.wait(jobId, {
      onProgress: (s) => {
        if (live && latest) process.stderr.write(`\r\x1b[2K${formatProgress(latest)}\n`);
        latest = s;
        if (live) redraw();
        else process.stderr.write(`${formatProgress(s)}\n`);
      },
    });
    if (live) process.stderr.write('\n');
    print(json, status, () => formatStatus(status));
    return status;
  } finally {
    clearInterval(ticker);
  }
}

export function buildProgram(): Command {
  const program = new Command('shale')
    .description('Run Spark batch jobs on EMR through Livy, each owned end to end by a Temporal workflow')
    .addOption(new Option('--address <host:port>', 'Temporal frontend (default: SHALE_TEMPORAL_ADDRESS, TEMPORAL_ADDRESS, the profile, 127.0.0.1:7233)'))
    .addOption(new Option('--namespace <ns>', 'Temporal namespace (default: SHALE_TEMPORAL_NAMESPACE, TEMPORAL_NAMESPACE, the profile, default)'))
    .addOption(new Option('--profile <name>', "profile of Temporal's config file, with its TLS, mTLS or API key (default: TEMPORAL_PROFILE, else default)"))
    .addOption(new Option('--config-file <toml>', "Temporal's config file (default: TEMPORAL_CONFIG_FILE, else ~/.config/temporalio/temporal.toml)"))
    .addOption(new Option('--task-queue <queue>', "the workers' task queue").env('SHALE_TASK_QUEUE').default('shale'))
    .option('--json', 'machine-readable output')
    .showHelpAfterError()
    .exitOverride();

  const globals = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions;

  program
    .command('submit')
    .description('submit a job (spec from a JSON/YAML file, - for stdin, and/or flags); prints its job ID')
    .argument('[spec-file]', 'JSON or YAML job spec')
    .option('--name <name>')
    .option('--team <team>')
    .option('--kind <kind>', 'pyspark | jar | sql')
    .option('--file <uri>', 'the app: .py or .jar')
    .option('--class-name <class>', 'main class (jar)')
    .option('--sql <statements>', 'SQL text (sql)')
    .option('--arg <arg>', 'app argument (repeatable)', collect)
    .option('--py-file <uri>', 'extra Python file (repeatable)', collect)
    .option('--jar <uri>', 'extra jar (repeatable)', collect)
    .option('--conf <key=value>', 'Spark conf (repeatable)', collect)
    .option('--label <key=value>', 'audit label (repeatable)', collect)
    .option('--size <preset>', 'SMALL | DEFAULT | LARGE | EXTRA_LARGE')
    .option('--queue <queue>', 'YARN queue')
    .option('--proxy-user <user>')
    .option('--spark-version <v>', 'route to Spark 2 or 3')
    .option('--pool <pool>', 'route to a cluster pool')
    .option('--cluster <id>', 'route to one cluster')
    .option('--run-timeout <duration>', 'kill an attempt running longer (e.g. 2h)')
    .option('--queue-timeout <duration>', 'give up waiting for a cluster after (e.g. 30m)')
    .option('--key <idempotency-key>', 'the same key returns the same job (e.g. dag.task.run_id)')
    .option('--wait', 'wait for the job to end, showing progress')
    .action(async (specFile: string | undefined, flags: SpecFlags & { key?: string; wait?: boolean }, cmd: Command) => {
      const opts = globals(cmd);
      const [{ readSpec }, { parseJobSpec }, { InvalidSpecError }] = await Promise.all([import('./specInput'), import('../contract/jobSpec'), import('./errors')]);
      const spec = await readSpec(specFile, flags);
      // Refuse a bad spec or key before touching the network: nothing starts, nothing is half-done.
      const parsed = parseJobSpec(spec);
      if (!parsed.ok) throw new InvalidSpecError(parsed.errors);
      const { IDEMPOTENCY_KEY_PATTERN } = await import('../contract/jobId');
      if (flags.key !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(flags.key)) {
        throw new InvalidSpecError([{ field: '--key', message: '1-256 printable ASCII characters, no spaces' }]);
      }
      await withClient(opts, async (client) => {
        const submitted = await client.submit(spec, { idempotencyKey: flags.key });
        // stdout is the job ID alone (J=$(shale submit …)); what happened to it is a note on stderr.
        if (!submitted.created) process.stderr.write(`shale: job ${submitted.jobId} was already submitted with this key; returning it as it is\n`);
        else if (submitted.rerun) process.stderr.write(`shale: job ${submitted.jobId} had ended without succeeding; this key started a new run of it\n`);
        const answer = { jobId: submitted.jobId, created: submitted.created, rerun: submitted.rerun, runId: submitted.runId };
        if (!flags.wait) {
          print(opts.json, answer, () => submitted.jobId);
          return;
        }
        process.stderr.write(`${submitted.jobId}\n`);
        const status = await waitAndReport(client, submitted.jobId, opts.json);
        process.exitCode = exitCodeForState(status.state);
      });
    });

  program
    .command('rerun')
    .description('run a job whose latest run ended FAILED, CANCELLED or TIMED_OUT again, under the same job ID; prints its job ID')
    .argument('<job>', 'job ID')
    .option('--wait', 'wait for the new run to end, showing progress')
    .action(async (jobId: string, flags: { wait?: boolean }, cmd: Command) => {
      const opts = globals(cmd);
      await withClient(opts, async (client) => {
        const rerun = await client.rerun(jobId);
        process.stderr.write(
          rerun.created
            ? `shale: started a new run of job ${rerun.jobId}\n`
            : `shale: another rerun of job ${rerun.jobId} started first; returning that run\n`,
        );
        const answer = { jobId: rerun.jobId, created: rerun.created, rerun: rerun.rerun, runId: rerun.runId };
        if (!flags.wait) {
          print(opts.json, answer, () => rerun.jobId);
          return;
        }
        const status = await waitAndReport(client, rerun.jobId, opts.json);
        process.exitCode = exitCodeForState(status.state);
      });
    });

  program
    .command('status')
    .description("show a job's state, attempts and links")
    .argument('<job>', 'job ID')
    .action(async (jobId: string, _flags: unknown, cmd: Command) => {
      const opts = globals(cmd);
      await withClient(opts, async (client) => {
        const status = await client.status(jobId);
        const { formatStatus } = await import('./format');
        print(opts.json, status, () => formatStatus(status));
        process.exitCode = exitCodeForState(status.state); // 0 while it runs
      });
    });

  program
    .command('wait')
    .description('wait for a job to end, showing progress; exits with its outcome')
    .argument('<job>', 'job ID')
    .action(async (jobId: string, _flags: unknown, cmd: Command) => {
      const opts = globals(cmd);
      await withClient(opts, async (client) => {
        const status = await waitAndReport(client, jobId, opts.json);
        process.exitCode = exitCodeForState(status.state);
      });
    });

  program
    .command('cancel')
    .description('cancel a job (kills its batch); a finished job is left as it is')
    .argument('<job>', 'job ID')
    .option('--reason <text>', 'why (recorded on the job)')
    .option('--request-id <id>', 'this request\'s id: sending the same id again is safe and gets the first answer (default: a new one)')
    .option('--timeout <seconds>', 'keep trying through transient errors this long', wholeNumber(1), 30)
    .action(async (jobId: string, flags: { reason?: string; requestId?: string; timeout: number }, cmd: Command) => {
      const opts = globals(cmd);
      const [{ checkCancelArgs }, { InvalidCancelError }] = await Promise.all([import('../contract/messages'), import('./errors')]);
      // Refuse what the workflow would refuse before connecting: a usage error, not a network one.
      const checked = checkCancelArgs({ reason: flags.reason, requestId: flags.requestId });
      if (!checked.ok) throw new InvalidCancelError(checked.error);
      await withClient(opts, async (client) => {
        const answer = await client.cancel(jobId, { reason: flags.reason, requestId: flags.requestId, timeoutMs: flags.timeout * 1000 });
        print(opts.json, answer, () => (answer.accepted ? `cancel accepted (job was ${answer.state})` : answer.message));
      });
    });

  program
    .command('logs')
    .description("show an attempt's log: Livy's (read by a worker) while it holds the batch, else the tail Shale kept")
    .argument('<job>', 'job ID')
    .option('--attempt <n>', 'which attempt (default: the latest)', wholeNumber(1))
    .option('--follow', 'keep printing new lines until the job ends')
    .option('--lines <n>', 'how many lines from Livy', wholeNumber(1), 100)
    .action(async (jobId: string, flags: { attempt?: number; follow?: boolean; lines: number }, cmd: Command) => {
      const opts = globals(cmd);
      const options = { attempt: flags.attempt, lines: flags.lines };
      const [{ followLog, readLog }, { SpecInputError }] = await Promise.all([import('./logs'), import('./specInput')]);
      await withClient(opts, async (client) => {
        const show = (chunk: LogChunk) =>
          print(opts.json, chunk, () =>
            chunk.lines.join('\n') +
            (chunk.source === 'shale' ? `\n(the tail Shale kept; ${chunk.note ?? 'Livy no longer has the batch'})` : ''),
          );
        if (flags.follow) {
          const status = await followLog(client, () => client.status(jobId), options, show);
          process.exitCode = exitCodeForState(status.state);
          return;
        }
        const status = await client.status(jobId);
        const chunk = await readLog(client, status, options);
        if (!chunk) throw new SpecInputError(`job ${jobId} has ${flags.attempt === undefined ? 'no attempt yet' : `no attempt ${flags.attempt}`}`);
        show(chunk);
      });
    });

  program
    .command('admin')
    .description('set-up tasks for the platform team')
    .command('setup')
    .description("register Shale's search attributes on the namespace (idempotent)")
    .action(async (_flags: unknown, cmd: Command) => {
      const opts = globals(cmd);
      const { registerSearchAttributes } = await import('./registerSearchAttributes');
      await withClient(opts, async (client) => {
        const added = await registerSearchAttributes(client.connection!, client.temporal.options.namespace);
        print(opts.json, { added }, () => (added.length ? `registered ${added.join(', ')}` : 'search attributes already registered'));
      });
    });

  program
    .command('audit')
    .description("show a job's timeline from its history: submission, state changes, attempts, retries, cancel requests, end")
    .argument('<job>', 'job ID')
    .action(async (jobId: string, _flags: unknown, cmd: Command) => {
      const opts = globals(cmd);
      await withClient(opts, async (client) => {
        const entries = await client.audit(jobId);
        const { formatAudit } = await import('./format');
        print(opts.json, entries, () => formatAudit(jobId, entries));
      });
    });

  program
    .command('list')
    .description('list jobs, newest first')
    .option('--team <team>')
    .option('--state <state>', 'e.g. RUNNING')
    .option('--cluster <id>')
    .option('--name <name>')
    .option('--label <key=value>', 'jobs carrying this label (repeatable)', collect)
    .option('--since <iso-time>', 'started at or after', isoTime)
    .option('--limit <n>', 'at most n jobs', wholeNumber(1), 50)
    .action(async (flags: { team?: string; state?: string; cluster?: string; name?: string; label?: string[]; since?: Date; limit: number }, cmd: Command) => {
      const opts = globals(cmd);
      const filter = { ...flags, labels: flags.label, since: flags.since };
      const [{ buildListQuery }, { SpecInputError }] = await Promise.all([import('./listQuery'), import('./specInput')]);
      try {
        buildListQuery(filter); // a filter value it refuses is a usage error, found before connecting
      } catch (err) {
        throw new SpecInputError(`--${(err as Error).message}`);
      }
      await withClient(opts, async (client) => {
        const jobs = await client.list(filter);
        const { formatList } = await import('./format');
        print(opts.json, jobs, () => formatList(jobs));
      });
    });

  program
    .command('worker')
    .description('run a Shale worker until SIGTERM/SIGINT')
    .option('--config <file>', 'shale.yaml (environment variables and the connection flags above override it)')
    .action(async (flags: { config?: string }, cmd: Command) => {
      if (flags.config !== undefined) {
        const [{ existsSync }, { SpecInputError }] = await Promise.all([import('node:fs'), import('./specInput')]);
        if (!existsSync(flags.config)) throw new SpecInputError(`--config ${flags.config}: no such file`);
      }
      applyConnectionFlagsToEnv(cmd);
      const { runWorker } = await import('../worker/main');
      await runWorker(flags.config);
    });

  program
    .command('api')
    .description('run the HTTP job API until SIGTERM/SIGINT (shale api --help for its options)')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async (_flags: unknown, cmd: Command) => {
      applyConnectionFlagsToEnv(cmd);
      const { runApi } = await import('../api/main');
      process.exitCode = await runApi(cmd.args);
    });

  return program;
}

/** An ISO 8601 time for --since, or a usage error naming the option. */
function isoTime(value: string): Date {
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw new InvalidArgumentError('expected a time such as 2026-11-20T00:00:00Z');
  return at;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv);
    return Number(process.exitCode ?? 0);
  } catch (err) {
    return reportError(err, json);
  }
}

async function reportError(err: unknown, json: boolean): Promise<number> {
  const fail = (code: number, error: string, message: string, extra: Record<string, unknown> = {}) => {
    process.stderr.write(json ? `${JSON.stringify({ error, message, ...extra })}\n` : `shale: ${message}\n`);
    return code;
  };
  if (err instanceof CommanderError) return err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
  const [errors, { SpecInputError }, connection] = await Promise.all([import('./errors'), import('./specInput'), import('./connectionConfig')]);
  if (err instanceof errors.InvalidSpecError) return fail(ExitCode.Usage, 'InvalidSpec', err.message, { fields: err.errors });
  if (err instanceof SpecInputError) return fail(ExitCode.Usage, 'Usage', err.message);
  if (err instanceof errors.IdempotencyConflictError) {
    return fail(ExitCode.Conflict, 'IdempotencyConflict', err.message, { jobId: err.jobId, differingFields: err.differingFields });
  }
  if (err instanceof errors.JobNotFoundError) return fail(ExitCode.NotFound, 'JobNotFound', err.message, { jobId: err.jobId });
  if (err instanceof errors.InvalidCancelError) return fail(ExitCode.Usage, 'InvalidCancel', err.message);
  if (err instanceof errors.RerunNotAllowedError) return fail(ExitCode.Usage, 'RerunNotAllowed', err.message, { jobId: err.jobId, state: err.state });
  if (err instanceof errors.CancelNotConfirmedError) {
    return fail(ExitCode.Unavailable, 'CancelNotConfirmed', err.message, { jobId: err.jobId, requestId: err.requestId });
  }
  if (err instanceof connection.ConnectionConfigError) return fail(ExitCode.Usage, 'ConnectionConfig', err.message);
  if (err instanceof connection.TemporalUnavailableError) {
    return fail(ExitCode.Unavailable, 'Unavailable', err.message, { address: err.address, addressFrom: err.addressFrom });
  }
  const message = err instanceof Error ? err.message : String(err);
  // A worker or API config that is invalid (ConfigError, ApiConfigError) or is not YAML at all.
  if (/ConfigError|YAMLParseError/.test((err as Error)?.name ?? '')) return fail(ExitCode.Usage, 'ConfigError', message);
  return fail(ExitCode.Unavailable, 'Error', message);
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main(process.argv).then((code) => process.exit(code));
}
