/**
 * Compiles the shale CLI to JavaScript in dist/ (`make build`), so it starts in a fraction of the
 * time tsx takes to compile the sources at every call. Our code is bundled (esbuild, split so that
 * `shale worker` and `shale api` load their code only when asked); packages stay in node_modules.
 *
 * dist/ must stay one level below the repository: the worker finds the workflow sources it bundles
 * (and the build id's inputs) relative to its own module (worker/bundleWorkflows.ts, worker/versioning.ts).
 */
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OUT = join(ROOT, 'dist');
const ENTRY = 'cli.js';
const CHUNK_PREFIX = 'cli-chunk-';
const require = createRequire(join(ROOT, 'package.json'));

/**
 * Keeps packages external, but spells a deep import the way Node's ESM loader needs it: tsx accepts
 * `@temporalio/common/lib/x`, plain Node wants `@temporalio/common/lib/x.js` (or `…/index.js`).
 */
const externalPackages: Plugin = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      const parts = args.path.split('/');
      const nameLength = args.path.startsWith('@') ? 2 : 1;
      if (args.path.startsWith('node:') || parts.length <= nameLength || /\.[cm]?js$/.test(args.path)) return { path: args.path, external: true };
      const resolved = require.resolve(args.path);
      const suffix = ['.js', '/index.js'].find((s) => resolved.endsWith(`/node_modules/${args.path}${s}`));
      return { path: suffix ? `${args.path}${suffix}` : args.path, external: true };
    });
  },
};

export async function buildCli(): Promise<string[]> {
  // Built beside dist/ and moved in, the entry last: a CLI started meanwhile sees the old build or the new one.
  const staging = join(OUT, `.staging-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  try {
    await build({
      entryPoints: [join(ROOT, 'client', 'cli.ts')],
      outdir: staging,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      chunkNames: `${CHUNK_PREFIX}[hash]`,
      sourcemap: true,
      logLevel: 'warning',
      plugins: [externalPackages],
    });
    const files = await readdir(staging);
    const isEntry = (f: string) => f === ENTRY || f === `${ENTRY}.map`;
    for (const f of files.filter((f) => !isEntry(f))) await rename(join(staging, f), join(OUT, f));
    for (const f of files.filter(isEntry)) await rename(join(staging, f), join(OUT, f));
    const stale = (await readdir(OUT)).filter((f) => f.startsWith(CHUNK_PREFIX) && !files.includes(f));
    await Promise.all(stale.map((f) => rm(join(OUT, f), { force: true })));
    return files;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = await buildCli();
  console.error(`shale CLI built: dist/${ENTRY} and ${files.filter((f) => f.startsWith(CHUNK_PREFIX) && f.endsWith('.js')).length} chunk(s)`);
}
