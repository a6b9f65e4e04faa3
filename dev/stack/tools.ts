/** Locates (installing if needed) the local stack's binaries through dev/tools/install.sh. */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ToolPaths {
  temporal: string;
  temporalTestServer: string;
  motoServer: string;
}

const INSTALL_SCRIPT = fileURLToPath(new URL('../tools/install.sh', import.meta.url));

let cached: ToolPaths | undefined;

export function resolveTools(): ToolPaths {
  if (cached) return cached;
  const out = execFileSync('bash', [INSTALL_SCRIPT, '--print'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const values = Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((line) => line.split('=', 2) as [string, string]),
  );
  cached = { temporal: values.TEMPORAL_CLI!, temporalTestServer: values.TEMPORAL_TEST_SERVER!, motoServer: values.MOTO_SERVER! };
  return cached;
}
