/**
 * `shale`: submit, watch and cancel Spark jobs; run a worker. Human output by default, --json for
 * scripts, exit codes that say how the job ended (client/exitCodes.ts).
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { checkCancelArgs, isTerminalJobState, parseJobSpec, type JobStatus } from '../contract';
import { CancelNotConfirmedError, IdempotencyConflictError, InvalidCancelError, InvalidSpecError, JobNotFoundError } from './errors';
import { ExitCode, exitCodeForState } from './exitCodes';
import { formatAudit, formatList, formatProgress, formatStatus } from './format';
import { followLog, readLog, type LogChunk } from './logs';
import { registerSearchAttributes } from './registerSearchAttributes';
import { ShaleClient } from './shaleClient';
import { readSpec, SpecInputError, type SpecFlags } from './specInput';

interface GlobalOptions {
  address: string;
  namespace: string;
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

async function withClient<T>(opts: GlobalOptions, fn: (client: ShaleClient) => Promise<T>): Promise<T> {
  const client = await ShaleClient.connect({ address: opts.address, namespace: opts.namespace, taskQueue: opts.taskQueue });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

/**
 * Progress goes to stderr so stdout stays the final answer (one JSON document with --json). On a
 * terminal the current line is redrawn every second (elapsed time ticking); piped, one line per change.
 */
async function waitAndReport(client: ShaleClient, jobId: string, json: boolean | undefined): Promise<JobStatus> {
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
    .addOption(new Option('--address <host:port>', 'Temporal frontend').env('SHALE_TEMPORAL_ADDRESS').default('127.0.0.1:7233'))
    .addOption(new Option('--namespace <ns>', 'Temporal namespace').env('SHALE_TEMPORAL_NAMESPACE').default('default'))
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
      const spec = await readSpec(specFile, flags);
      // Refuse a bad spec before touching the network: nothing starts, nothing is half-done.
      const parsed = parseJobSpec(spec);
      if (!parsed.ok) throw new InvalidSpecError(parsed.errors);
      await withClient(opts, async (client) => {
        const submitted = await client.submit(spec, { idempotencyKey: flags.key });
        if (!flags.wait) {
          print(opts.json, { jobId: submitted.jobId, created: submitted.created }, () =>
            submitted.created ? submitted.jobId : `${submitted.jobId} (already submitted with this key)`,
          );
          return;
        }
        process.stderr.write(`${submitted.jobId}${submitted.created ? '' : ' (already submitted with this key)'}\n`);
        const status = await waitAndReport(client, submitted.jobId, opts.json);
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
        print(opts.json, status, () => formatStatus(status));
        if (isTerminalJobState(status.state)) process.exitCode = exitCodeForState(status.state);
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
      await withClient(opts, async (client) => {
        const added = await registerSearchAttributes(client.connection!, opts.namespace);
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
    .option('--since <iso-time>', 'started at or after')
    .option('--limit <n>', 'at most n jobs', wholeNumber(1), 50)
    .action(async (flags: { team?: string; state?: string; cluster?: string; name?: string; label?: string[]; since?: string; limit: number }, cmd: Command) => {
      const opts = globals(cmd);
      const since = flags.since ? new Date(flags.since) : undefined;
      if (since && Number.isNaN(since.getTime())) throw new SpecInputError(`--since ${flags.since}: not a time`);
      await withClient(opts, async (client) => {
        const jobs = await client.list({ ...flags, labels: flags.label, since });
        print(opts.json, jobs, () => formatList(jobs));
      });
    });

  program
    .command('worker')
    .description('run a Shale worker until SIGTERM/SIGINT')
    .option('--config <file>', 'shale.yaml (environment variables override it)')
    .action(async (flags: { config?: string }) => {
      const { runWorker } = await import('../worker/main');
      await runWorker(flags.config);
    });

  return program;
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

function reportError(err: unknown, json: boolean): number {
  const fail = (code: number, error: string, message: string, extra: Record<string, unknown> = {}) => {
    process.stderr.write(json ? `${JSON.stringify({ error, message, ...extra })}\n` : `shale: ${message}\n`);
    return code;
  };
  if (err instanceof CommanderError) return err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
  if (err instanceof InvalidSpecError) return fail(ExitCode.Usage, 'InvalidSpec', err.message, { fields: err.errors });
  if (err instanceof SpecInputError) return fail(ExitCode.Usage, 'Usage', err.message);
  if (err instanceof IdempotencyConflictError) {
    return fail(ExitCode.Conflict, 'IdempotencyConflict', err.message, { jobId: err.jobId, differingFields: err.differingFields });
  }
  if (err instanceof JobNotFoundError) return fail(ExitCode.NotFound, 'JobNotFound', err.message, { jobId: err.jobId });
  if (err instanceof InvalidCancelError) return fail(ExitCode.Usage, 'InvalidCancel', err.message);
  if (err instanceof CancelNotConfirmedError) {
    return fail(ExitCode.Unavailable, 'CancelNotConfirmed', err.message, { jobId: err.jobId, requestId: err.requestId });
  }
  const message = err instanceof Error ? err.message : String(err);
  if (/ConfigError/.test((err as Error)?.name ?? '')) return fail(ExitCode.Usage, 'ConfigError', message);
  if (/connect|UNAVAILABLE|ECONNREFUSED|deadline/i.test(message)) return fail(ExitCode.Unavailable, 'Unavailable', `cannot reach Temporal: ${message}`);
  return fail(ExitCode.Unavailable, 'Error', message);
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main(process.argv).then((code) => process.exit(code));
}
