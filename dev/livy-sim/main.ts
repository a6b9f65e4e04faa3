/**
 * CLI: tsx dev/livy-sim/main.ts --port 8998 [--retain-seconds 600] [--csrf] [--name spark3]
 *      [--host 127.0.0.1] [--max-in-flight 100] [--duration-ms 2000] [--starting-ms 200]
 *      [--livy-version 0.7|0.9] [--local-dir-whitelist /dir1,/dir2] [--default-fs file:///]
 * Prints `livy-sim <name> listening on http://127.0.0.1:PORT` once ready; stops on SIGTERM/SIGINT.
 */
import { parseArgs } from 'node:util';
import { LIVY_SIMULATOR_DEFAULTS, startLivySimulator, type LivySimulatorOptions } from './index.js';

const USAGE =
  'usage: tsx dev/livy-sim/main.ts --port 8998 [--retain-seconds 600] [--csrf] [--name spark3] ' +
  '[--host 127.0.0.1] [--max-in-flight 100] [--duration-ms 2000] [--starting-ms 200] ' +
  '[--livy-version 0.7|0.9] [--local-dir-whitelist /dir1,/dir2] [--default-fs file:///]';

function number(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < 0) throw new Error(`--${flag} must be a non-negative number, got '${raw}'`);
  return n;
}

function options(argv: string[]): LivySimulatorOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      name: { type: 'string' },
      'retain-seconds': { type: 'string' },
      csrf: { type: 'boolean' },
      'max-in-flight': { type: 'string' },
      'duration-ms': { type: 'string' },
      'starting-ms': { type: 'string' },
      'livy-version': { type: 'string' },
      'local-dir-whitelist': { type: 'string' },
      'default-fs': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const retainSeconds = number('retain-seconds', values['retain-seconds']);
  const livyVersion = values['livy-version'];
  if (livyVersion !== undefined && livyVersion !== '0.7' && livyVersion !== '0.9') throw new Error(`--livy-version must be 0.7 or 0.9, got '${livyVersion}'`);
  return {
    port: number('port', values.port) ?? 8998,
    host: values.host,
    name: values.name ?? LIVY_SIMULATOR_DEFAULTS.name,
    retainMs: retainSeconds === undefined ? undefined : retainSeconds * 1000,
    csrf: values.csrf ?? false,
    maxInFlightSubmits: number('max-in-flight', values['max-in-flight']),
    defaultDurationMs: number('duration-ms', values['duration-ms']),
    startingMs: number('starting-ms', values['starting-ms']),
    livyVersion,
    localDirWhitelist: values['local-dir-whitelist']?.split(',').filter((dir) => dir !== ''),
    defaultFs: values['default-fs'],
  };
}

async function main(): Promise<void> {
  let opts: LivySimulatorOptions;
  try {
    opts = options(process.argv.slice(2));
  } catch (err) {
    console.error(`livy-sim: ${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  const simulator = await startLivySimulator(opts);
  console.log(`livy-sim ${opts.name} listening on ${simulator.url}`);

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    simulator.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`livy-sim ${opts.name}: error while stopping on ${signal}:`, err);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((err: unknown) => {
  console.error('livy-sim: failed to start:', err);
  process.exit(1);
});
