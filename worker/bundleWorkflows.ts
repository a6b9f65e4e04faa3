/**
 * Bundles the workflow code ahead of time, so a worker starts without webpack: the production image
 * runs `node --import tsx worker/bundleWorkflows.ts dist/workflow-bundle.js` at build time and sets
 * SHALE_WORKFLOW_BUNDLE to the file, which createShaleWorker then loads as `workflowBundle: { codePath }`.
 *
 * Imports nothing of ours, so the image's bundling stage needs only contract/ and workflows/.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';

/** The workflows' entry point. */
export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/** How Shale's workflow code is bundled, wherever it is (worker start-up, image build, tests). */
export function bundleShaleWorkflows() {
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
}

/** Writes the bundle's code to `outFile` (directories created as needed); returns its absolute path and size. */
export async function writeWorkflowBundle(outFile: string): Promise<{ path: string; bytes: number }> {
  const { code } = await bundleShaleWorkflows();
  const path = resolve(outFile);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, code);
  return { path, bytes: Buffer.byteLength(code) };
}

// Run as a script (not when imported, e.g. by tests).
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const outFile = process.argv[2];
  if (!outFile) {
    console.error('usage: node --import tsx worker/bundleWorkflows.ts <out.js>');
    process.exit(2);
  }
  const { path, bytes } = await writeWorkflowBundle(outFile);
  console.error(`workflow bundle: ${path} (${bytes} bytes)`);
}
