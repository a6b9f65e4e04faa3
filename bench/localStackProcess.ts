/**
 * The local stack (dev/stack/localStack.ts: Temporal dev server, moto, simulated Livy clusters, a
 * worker and the HTTP API) as a child process: it prints one JSON line when it is ready and stops
 * everything when its stdin closes or it gets SIGTERM.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { stopProcess } from '../dev/stack/processes';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The ready line, as far as the checks rely on it; anything else it says is kept but not needed. */
const readyLineSchema = z.looseObject({
  temporalAddress: z.string(),
  namespace: z.string(),
  apiUrl: z.string(),
  tokens: z.record(z.string(), z.string()),
  simulators: z.array(z.looseObject({ url: z.string() })).min(1),
});

export type LocalStackInfo = z.infer<typeof readyLineSchema>;

export interface LocalStack {
  info: LocalStackInfo;
  stop(): Promise<void>;
}

export async function startLocalStack(args: string[] = [], readyTimeoutMs = 180_000): Promise<LocalStack> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'dev/stack/localStack.ts', ...args], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-6000)));
  const lines = createInterface({ input: child.stdout! });
  try {
    const info = await new Promise<LocalStackInfo>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`localStack.ts printed no ready line in ${readyTimeoutMs / 1000} s:\n${stderr}`)), readyTimeoutMs);
      child.once('exit', (code, signal) => reject(new Error(`localStack.ts exited (${code ?? signal}) before it was ready:\n${stderr}`)));
      lines.once('line', (line) => {
        clearTimeout(timer);
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          reject(new Error(`localStack.ts's first line is not JSON: ${line.slice(0, 300)}`));
          return;
        }
        const result = readyLineSchema.safeParse(parsed);
        if (result.success) resolve(result.data);
        else reject(new Error(`localStack.ts's ready line lacks what the checks need: ${z.prettifyError(result.error)}`));
      });
    });
    return {
      info,
      async stop() {
        // Closing stdin is the stack's own "stop" (SIGTERM after a grace, should it not listen).
        child.stdin!.end();
        await stopProcess(child, 30_000);
      },
    };
  } catch (err) {
    await stopProcess(child, 10_000);
    throw err;
  }
}
