/**
 * The e2e files that exercise the job contract, run through the switch (SHALE_TEST_TEMPORAL_ADDRESS)
 * against a production-shaped stack's Temporal server 1 (PostgreSQL, two servers; no Shale workers
 * of its own: each e2e file brings its worker). Exits with vitest's code; the stack is stopped on
 * every way out.
 *   npx tsx test/production/e2eOnStack.ts [e2e files…]   (default: E2E_ON_PRODUCTION below)
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startLivySimulator } from '../../dev/livy-sim';
import { startProductionStack, type ProductionStack } from '../../dev/stack/productionStack';

/** Submit-to-end, every outcome, cancel races, audit: the contract, in about a minute and a half here. */
const E2E_ON_PRODUCTION = ['test/e2e/jobs.test.ts', 'test/e2e/outcomes.test.ts', 'test/e2e/cancelRace.test.ts', 'test/e2e/audit.test.ts'];

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const VITEST = fileURLToPath(new URL('../../node_modules/vitest/vitest.mjs', import.meta.url));

async function main(files: string[]): Promise<number> {
  // The stack needs clusters to start; the e2e files use simulators of their own.
  const sim = await startLivySimulator({ name: 'unused' });
  let stack: ProductionStack | undefined;
  const stop = async () => {
    await stack?.stop();
    await sim.close();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop().finally(() => process.exit(130)));
  try {
    const startedAt = Date.now();
    stack = await startProductionStack({ clusters: [{ id: 'unused', livyUrl: sim.url, sparkVersion: '3' }], workers: 0, api: false });
    const address = stack.temporalAddresses[0];
    console.log(`production stack up in ${((Date.now() - startedAt) / 1000).toFixed(1)} s; e2e files against ${address} (namespace ${stack.namespace})`);
    const child = spawn(process.execPath, [VITEST, 'run', ...files], {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, SHALE_TEST_TEMPORAL_ADDRESS: address, SHALE_TEST_TEMPORAL_NAMESPACE: stack.namespace },
    });
    return await new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
  } finally {
    await stop();
  }
}

const args = process.argv.slice(2);
main(args.length > 0 ? args : E2E_ON_PRODUCTION).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`e2e on the production stack: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
