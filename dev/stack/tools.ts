/**
 * Locates (installing if needed) the binaries the stacks run, through dev/tools/install*.sh: each
 * script installs what is missing, then `--print` names the paths as KEY=path lines.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ToolPaths {
  temporal: string;
  temporalTestServer: string;
  motoServer: string;
}

/** The path of one of dev/tools/'s install scripts, e.g. `install-livy.sh`. */
export function installScript(name: string): string {
  return fileURLToPath(new URL(`../tools/${name}`, import.meta.url));
}

/** The values of `keys` in a script's `--print` output; a key it did not name is an error quoting the output. */
export function printedPaths<K extends string>(script: string, out: string, keys: readonly K[]): Record<K, string> {
  const values = new Map(
    out
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const),
  );
  const paths = {} as Record<K, string>;
  for (const key of keys) {
    const value = values.get(key);
    if (!value) throw new Error(`${script} --print named no ${key}:\n${out}`);
    paths[key] = value;
  }
  return paths;
}

/** Runs an install script (installing what is missing; its errors go to our stderr) and reads the paths it prints. */
export function installedPaths<K extends string>(name: string, keys: readonly K[]): Record<K, string> {
  const script = installScript(name);
  const out = execFileSync('bash', [script, '--print'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return printedPaths(script, out, keys);
}

let cached: ToolPaths | undefined;

export function resolveTools(): ToolPaths {
  if (cached) return cached;
  const paths = installedPaths('install.sh', ['TEMPORAL_CLI', 'TEMPORAL_TEST_SERVER', 'MOTO_SERVER']);
  cached = { temporal: paths.TEMPORAL_CLI, temporalTestServer: paths.TEMPORAL_TEST_SERVER, motoServer: paths.MOTO_SERVER };
  return cached;
}
