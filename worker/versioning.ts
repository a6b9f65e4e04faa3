/**
 * Worker Versioning (README "Shipping workflow changes"): every build of the workflow code is its own
 * Worker Deployment Version, and a job stays PINNED to the build that started it, through
 * continue-as-new, until it ends. The build id names exactly one workflow code: by default it is
 * `<package version>-<12 hex digits of the workflow source fingerprint>`, so changed workflow code
 * can never run under an old build id.
 *
 * Settings come from the environment (or a config object that overrides it):
 *   SHALE_WORKER_VERSIONING  off (default) | pinned | auto-upgrade
 *   SHALE_DEPLOYMENT_NAME    the Worker Deployment, default `shale` (no '.')
 *   SHALE_BUILD_ID           overrides the derived build id (e.g. baked into an image)
 *
 * `node --import tsx worker/versioning.ts` prints the build id of the sources it sits in, for deploy
 * scripts (`temporal worker deployment set-current-version --build-id "$(…)"`).
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Connection } from '@temporalio/client';
import type { WorkerDeploymentOptions } from '@temporalio/worker';

export const VERSIONING_MODES = ['off', 'pinned', 'auto-upgrade'] as const;
export type VersioningMode = (typeof VERSIONING_MODES)[number];

export const DEFAULT_DEPLOYMENT_NAME = 'shale';

/** The source root this module belongs to (the repository, or /app in the image). */
export const SOURCE_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** What the workflow bundle is built from (the image's bundle stage copies exactly these). */
const WORKFLOW_SOURCE_DIRS = ['workflows', 'contract'];
/** Packages whose code ends up in (or builds) the bundle beside those our sources import. */
const BUNDLER_PACKAGES = ['@temporalio/worker'];

export interface WorkflowSourceFingerprint {
  /** sha256 over the files and the dependency versions below: changes whenever the bundle can. */
  hash: string;
  /** sha256 over the files alone. */
  filesHash: string;
  /** Relative path (with /) → sha256 of its content. */
  files: Record<string, string>;
  /** Packages the bundle is made of, with their locked versions. */
  dependencies: Record<string, string>;
  /** package.json's version: the release. */
  release: string;
}

export interface VersioningConfig {
  mode: VersioningMode;
  deploymentName: string;
  /** Default: derived from the release and the workflow source fingerprint. */
  buildId?: string;
}

export interface WorkerVersioning {
  mode: VersioningMode;
  deploymentName: string;
  buildId: string;
  /** Spread into Worker.create(); empty when mode is `off`. */
  workerOptions: { workerDeploymentOptions?: WorkerDeploymentOptions };
  /** One phrase for the worker's start-up line. */
  summary: string;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  const nested = await Promise.all(
    entries.map(async (e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : [])),
  );
  return nested.flat();
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

const IMPORT_SPECIFIERS = [
  /^\s*(?:import|export)\s[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm, // import … from "x", export … from "x"
  /^\s*import\s*['"]([^'"]+)['"]/gm, // import "x"
  /\bimport\s*\(\s*(?:\/\*[^*]*\*\/\s*)?['"]([^'"]+)['"]\s*\)/g, // import("x"), import(/* webpack… */ "x")
];
const PACKAGE_NAME = /^(?:@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*/i;

/** The packages a source imports (`zod`, `@temporalio/workflow`): bare specifiers, reduced to their package. */
export function importedPackages(source: string): string[] {
  const specifiers = IMPORT_SPECIFIERS.flatMap((re) => [...source.matchAll(re)].map((m) => m[1]!));
  return specifiers
    .filter((s) => !s.startsWith('.') && !s.startsWith('/') && !s.startsWith('node:'))
    .map((s) => PACKAGE_NAME.exec(s)?.[0])
    .filter((p): p is string => p !== undefined);
}

/**
 * Fingerprints the workflow code under `root`: every file of workflows/ and contract/, and the locked
 * versions (package-lock.json) of the packages they import plus the bundler's. Path independent, so
 * a CI clone, a laptop and the image agree.
 */
export async function workflowSourceFingerprint(root: string = SOURCE_ROOT): Promise<WorkflowSourceFingerprint> {
  const paths = (await Promise.all(WORKFLOW_SOURCE_DIRS.map((d) => listFiles(join(root, d))))).flat();
  if (paths.length === 0) throw new Error(`no workflow sources under ${root} (${WORKFLOW_SOURCE_DIRS.join(', ')})`);
  const files: Record<string, string> = {};
  const packages = new Set(BUNDLER_PACKAGES);
  for (const path of paths.sort()) {
    const content = await readFile(path);
    files[relative(root, path).split(sep).join('/')] = sha256(content);
    if (/\.[cm]?[jt]s$/.test(path)) for (const pkg of importedPackages(content.toString('utf8'))) packages.add(pkg);
  }
  const lock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8')) as { packages?: Record<string, { version?: string }> };
  const dependencies: Record<string, string> = {};
  for (const pkg of [...packages].sort()) {
    const version = lock.packages?.[`node_modules/${pkg}`]?.version;
    if (!version) throw new Error(`workflow code imports ${pkg}, which package-lock.json does not lock`);
    dependencies[pkg] = version;
  }
  const release = (JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version?: string }).version;
  if (!release) throw new Error(`${join(root, 'package.json')} has no version`);
  const fileLines = Object.entries(files).map(([p, h]) => `file ${p} ${h}\n`);
  const filesHash = sha256(fileLines.join(''));
  const hash = sha256([...fileLines, ...Object.entries(dependencies).map(([n, v]) => `dependency ${n} ${v}\n`)].join(''));
  return { hash, filesHash, files, dependencies, release };
}

/** `<release>-<first 12 hex digits of the fingerprint>`, e.g. `0.2.0-3f9a1c2b7d4e`. */
export function buildIdOf(fingerprint: Pick<WorkflowSourceFingerprint, 'release' | 'hash'>): string {
  return `${fingerprint.release}-${fingerprint.hash.slice(0, 12)}`;
}

/** The build id of the workflow code under `root` (default: these sources). */
export async function workflowBuildId(root: string = SOURCE_ROOT): Promise<string> {
  return buildIdOf(await workflowSourceFingerprint(root));
}

function validated(config: VersioningConfig): VersioningConfig {
  if (!VERSIONING_MODES.includes(config.mode)) {
    throw new Error(`worker versioning: mode must be one of ${VERSIONING_MODES.join(', ')}, not ${JSON.stringify(config.mode)}`);
  }
  // The server names a version `<deploymentName>.<buildId>`: a '.' in the name makes it ambiguous.
  if (!/^[^.\s]{1,200}$/.test(config.deploymentName)) {
    throw new Error(`worker versioning: deployment name must be 1-200 characters without '.' or spaces, not ${JSON.stringify(config.deploymentName)}`);
  }
  if (config.buildId !== undefined && (!/^\S{1,200}$/.test(config.buildId) || config.buildId === '__unversioned__')) {
    throw new Error(`worker versioning: build id must be 1-200 characters without spaces, not ${JSON.stringify(config.buildId)}`);
  }
  return config;
}

/** The settings from SHALE_WORKER_VERSIONING, SHALE_DEPLOYMENT_NAME and SHALE_BUILD_ID, `config` taking precedence. */
export function versioningConfig(env: NodeJS.ProcessEnv = process.env, config: Partial<VersioningConfig> = {}): VersioningConfig {
  const mode = (config.mode ?? env.SHALE_WORKER_VERSIONING ?? 'off') as VersioningMode;
  const buildId = config.buildId ?? (env.SHALE_BUILD_ID || undefined);
  return validated({
    mode,
    deploymentName: config.deploymentName ?? (env.SHALE_DEPLOYMENT_NAME || DEFAULT_DEPLOYMENT_NAME),
    ...(buildId !== undefined ? { buildId } : {}),
  });
}

/**
 * What createShaleWorker passes to Worker.create: `...(await workerVersioning({ env })).workerOptions`.
 * With mode `pinned` (production), a job started by this build stays on this build until it ends.
 */
export async function workerVersioning(options: { env?: NodeJS.ProcessEnv; config?: Partial<VersioningConfig>; root?: string } = {}): Promise<WorkerVersioning> {
  const config = versioningConfig(options.env ?? process.env, options.config);
  const buildId = config.buildId ?? (await workflowBuildId(options.root));
  const version = { deploymentName: config.deploymentName, buildId };
  if (config.mode === 'off') {
    return { mode: 'off', ...version, workerOptions: {}, summary: `unversioned (workflow build ${buildId})` };
  }
  const defaultVersioningBehavior = config.mode === 'pinned' ? 'PINNED' : 'AUTO_UPGRADE';
  return {
    mode: config.mode,
    ...version,
    workerOptions: { workerDeploymentOptions: { useWorkerVersioning: true, version, defaultVersioningBehavior } },
    summary: `Worker Deployment ${config.deploymentName}, build ${buildId}, jobs ${defaultVersioningBehavior}`,
  };
}

export interface VersionRef {
  namespace: string;
  deploymentName: string;
  buildId: string;
}

const isGrpcCode = (err: unknown, ...codes: number[]) => codes.includes((err as { code?: number })?.code ?? -1);
const FAILED_PRECONDITION = 9;
const NOT_FOUND = 5;

/**
 * Makes a version the deployment's Current Version (what `temporal worker deployment
 * set-current-version` does): new jobs go to it, pinned ones stay where they are. The server knows a
 * version only once its workers have polled, so this retries "not found" until `timeoutMs`.
 */
export async function setCurrentVersion(
  connection: Pick<Connection, 'workflowService'>,
  ref: VersionRef,
  options: { identity?: string; timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    try {
      await connection.workflowService.setWorkerDeploymentCurrentVersion({
        namespace: ref.namespace,
        deploymentName: ref.deploymentName,
        buildId: ref.buildId,
        identity: options.identity ?? 'shale',
      });
      return;
    } catch (err) {
      if (!isGrpcCode(err, FAILED_PRECONDITION, NOT_FOUND) || Date.now() >= deadline) {
        throw new Error(`could not make ${ref.deploymentName}/${ref.buildId} current: ${(err as Error).message}`, { cause: err });
      }
      await new Promise((r) => setTimeout(r, options.intervalMs ?? 200));
    }
  }
}

// Run as a script: print the build id of these sources.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  console.log(await workflowBuildId(process.argv[2] ? resolve(process.argv[2]) : SOURCE_ROOT));
}
