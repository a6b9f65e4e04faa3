/**
 * Replay corpora, one per release: test/replay/histories/<release>/ holds one JSON history per run
 * of each recorded path and a manifest.json saying which build recorded them (README "Shipping
 * workflow changes"). The recorder writes them; replay.test.ts checks and replays them.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { defaultPayloadConverter } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import proto, { type temporal } from '@temporalio/proto';
import { SOURCE_ROOT, workflowSourceFingerprint, type WorkflowSourceFingerprint } from '../../worker/versioning';

export const HISTORIES_ROOT = fileURLToPath(new URL('./histories/', import.meta.url));
/** Scratch space for rebuilt sources and staged recordings: ignored by git, tsc and ESLint (like .run/demo, .run/bench). */
export const SCRATCH_ROOT = join(SOURCE_ROOT, '.run', 'replay');

export interface RecordedRun {
  /** File name inside the release's directory. */
  file: string;
  sha256: string;
  /**
   * The workflow id the run had. A history does not hold it, and a replay must run under it: sparkJob
   * refuses an input whose jobId is not its workflow id. Absent in older manifests (see workflowIdOf).
   */
  workflowId?: string;
}

export interface Manifest {
  release: string;
  /**
   * The Worker Deployment build that recorded the corpus and that its jobs are pinned to; null for
   * a release that ran unversioned (0.1.0).
   */
  buildId: string | null;
  /** The workflow source fingerprint (worker/versioning.ts) of the code that recorded it. */
  workflowSource: { hash: string; filesHash: string; dependencies: Record<string, string> };
  /** A commit holding exactly those sources; default: the last commit that touched this manifest. */
  sourceCommit?: string;
  recordedAt: string;
  recordedWith?: string;
  /**
   * Releases whose running jobs this build may take over (a hot fix moved onto them with
   * `temporal workflow update-options`): their corpora must replay against this code too.
   */
  accepts: string[];
  /**
   * Set when the release ships: its jobs may be running somewhere, so its corpus is kept as it is
   * (the recorder refuses to replace it; a code change needs a new version).
   */
  shipped?: boolean;
  /** Path name → its runs, in order (more than one after continue-as-new). */
  paths: Record<string, RecordedRun[]>;
  notes?: string;
}

export interface Corpus {
  release: string;
  dir: string;
  manifest: Manifest;
}

const run = promisify(execFile);

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Compares dotted numeric releases (0.10.0 after 0.9.1). */
export function compareReleases(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const pb = b.split(/[.-]/).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? -1;
    const y = pb[i] ?? -1;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}

export async function readCorpus(dir: string): Promise<Corpus> {
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  return { release: manifest.release, dir, manifest };
}

/** Every corpus under `root`, oldest release first. */
export async function listCorpora(root: string = HISTORIES_ROOT): Promise<Corpus[]> {
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  const corpora = await Promise.all(entries.filter((e) => e.isDirectory()).map((e) => readCorpus(join(root, e.name))));
  return corpora.sort((a, b) => compareReleases(a.release, b.release));
}

export interface CorpusHistory {
  path: string;
  run: number;
  file: string;
  /** The workflow id to replay it under (workflowIdOf). */
  workflowId: string;
  /** The protojson text, as recorded. */
  json: string;
}

/** The corpus's histories, each checked against the manifest's sha256. */
export async function corpusHistories(corpus: Corpus): Promise<CorpusHistory[]> {
  const out: CorpusHistory[] = [];
  for (const [path, runs] of Object.entries(corpus.manifest.paths)) {
    for (const [i, recorded] of runs.entries()) {
      const json = await readFile(join(corpus.dir, recorded.file), 'utf8');
      if (sha256(json) !== recorded.sha256) throw new Error(`${corpus.release}/${recorded.file} does not match the sha256 in its manifest`);
      out.push({ path, run: i + 1, file: recorded.file, workflowId: workflowIdOf(recorded, parseHistory(json)), json });
    }
  }
  return out;
}

export function parseHistory(json: string): temporal.api.history.v1.IHistory {
  return historyFromJSON(JSON.parse(json));
}

const EventType = proto.temporal.api.enums.v1.EventType;

/**
 * The workflow id a recorded run had: the manifest's, else (manifests written before it was kept) the
 * jobId of a sparkJob input, which the workflow requires to be its id; other workflows (readJobLog,
 * sweepBatch) do not read their id, and get the file name.
 */
export function workflowIdOf(recorded: RecordedRun, history: temporal.api.history.v1.IHistory): string {
  if (recorded.workflowId) return recorded.workflowId;
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  try {
    const input = payload ? defaultPayloadConverter.fromPayload<unknown>(payload) : undefined;
    const jobId = (input as { jobId?: unknown } | null | undefined)?.jobId;
    if (typeof jobId === 'string' && jobId !== '') return jobId;
  } catch {
    // not a JSON input: not a job
  }
  return recorded.file;
}

/** The build ids that completed the run's workflow tasks ('' for a task completed unversioned). */
export function buildIdsOf(history: temporal.api.history.v1.IHistory): Set<string> {
  const ids = new Set<string>();
  for (const e of history.events ?? []) {
    if (e.eventType !== EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) continue;
    const attrs = e.workflowTaskCompletedEventAttributes;
    ids.add(attrs?.deploymentVersion?.buildId ?? '');
  }
  return ids;
}

/** The manifest fields that describe the code, from a fingerprint. */
export function sourceOf(fingerprint: WorkflowSourceFingerprint): Manifest['workflowSource'] {
  return { hash: fingerprint.hash, filesHash: fingerprint.filesHash, dependencies: fingerprint.dependencies };
}

async function git(...args: string[]): Promise<string> {
  // No optional locks: `git status` must not take .git/index.lock from engineers committing meanwhile.
  const { stdout } = await run('git', args, { cwd: SOURCE_ROOT, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' } });
  return stdout.trim();
}

/** The workflow sources a bundle and a fingerprint are made of (as the image's bundle stage copies them). */
const BUILD_INPUTS = ['workflows', 'contract', 'package.json', 'package-lock.json'];

/** Whether the working tree's build inputs are exactly those of HEAD (so HEAD can name the corpus's sources). */
export async function sourcesCommittedAt(): Promise<string | undefined> {
  const head = await git('rev-parse', 'HEAD');
  const changed = await git('status', '--porcelain', '--', ...BUILD_INPUTS);
  return changed === '' ? head : undefined;
}

/**
 * Rebuilds the workflow sources of an earlier release from git into scratch space: the manifest's
 * sourceCommit, else the commit that last wrote its manifest. Returns the root of the extracted tree
 * (it resolves packages from this checkout's node_modules), after checking its fingerprint is the
 * manifest's.
 */
export async function extractSources(corpus: Corpus): Promise<{ root: string; commit: string }> {
  const manifestPath = join(corpus.dir, 'manifest.json');
  const commit = corpus.manifest.sourceCommit ?? (await git('log', '-1', '--format=%H', '--', manifestPath));
  if (!commit) throw new Error(`${corpus.release}: no sourceCommit in its manifest and the manifest is not committed yet`);
  try {
    await git('cat-file', '-e', `${commit}^{commit}`);
  } catch {
    throw new Error(`${corpus.release}: commit ${commit} is not in this clone (a shallow clone? run git fetch --unshallow)`);
  }
  const root = join(SCRATCH_ROOT, 'builds', `${corpus.release}-${commit.slice(0, 12)}`);
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  await run('bash', ['-c', `set -o pipefail; git archive "$1" -- ${BUILD_INPUTS.join(' ')} | tar -x -C "$2"`, 'extract', commit, root], { cwd: SOURCE_ROOT });
  const fingerprint = await workflowSourceFingerprint(root);
  if (fingerprint.filesHash !== corpus.manifest.workflowSource.filesHash) {
    throw new Error(
      `${corpus.release}: the workflow sources at ${commit.slice(0, 12)} are not the ones that recorded the corpus ` +
        `(files ${fingerprint.filesHash.slice(0, 12)}, manifest ${corpus.manifest.workflowSource.filesHash.slice(0, 12)})`,
    );
  }
  return { root, commit };
}
