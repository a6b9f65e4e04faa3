/**
 * The rule for shipping workflow changes (README "Shipping workflow changes"), checked by `make test`:
 *
 * - Jobs are PINNED to the build that started them, and a build id names one workflow code
 *   (worker/versioning.ts), so a running job is only ever replayed by the code that recorded it.
 *   Within a build: the current release's corpus must have been recorded from exactly today's
 *   workflow code, by that build, over every path, and must replay against it.
 * - Across builds: a build that takes over running jobs of an earlier one (a hot fix under
 *   patched()) lists that release in `accepts`, and the earlier corpus must replay here too.
 * - Every earlier corpus still replays against its own build, rebuilt from git: the corpus is
 *   what that build's jobs, still running somewhere, look like.
 */
import { join } from 'node:path';
import { bundleWorkflowCode, DefaultLogger, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildIdOf, workflowSourceFingerprint } from '../../worker/versioning';
import { installQuietRuntime, workflowBundle } from '../support/workflowEnv';
import { buildIdsOf, corpusHistories, extractSources, listCorpora, parseHistory, type Corpus, type CorpusHistory } from './corpus';
import { REQUIRED_PATHS } from './paths';

installQuietRuntime();

const today = await workflowSourceFingerprint();
const todaysBuild = buildIdOf(today);
const corpora = await listCorpora();
const current = corpora.find((c) => c.release === today.release);
const accepted = corpora.filter((c) => current?.manifest.accepts.includes(c.release));
const earlier = corpora.filter((c) => c !== current);
const histories = new Map<Corpus, CorpusHistory[]>();
for (const corpus of corpora) histories.set(corpus, await corpusHistories(corpus));

const label = (h: CorpusHistory) => `${h.path} (run ${h.run}, ${h.file})`;

/**
 * Replays the histories in one replay worker, each under the workflow id it ran with (sparkJob checks
 * its input's jobId against it); returns each one's error by file (undefined when it replayed). The
 * worker replays one history at a time, in the order given, so results are matched by position (the
 * runs of a continue-as-new chain share their workflow id).
 */
async function replayAll(bundle: WorkflowBundleWithSourceMap, recorded: CorpusHistory[]): Promise<Map<string, Error | undefined>> {
  const results = new Map<string, Error | undefined>();
  const inputs = recorded.map((h) => ({ workflowId: h.workflowId, history: parseHistory(h.json) }));
  let i = 0;
  for await (const result of Worker.runReplayHistories({ workflowBundle: bundle }, inputs)) {
    const h = recorded[i++]!;
    if (result.workflowId !== h.workflowId) throw new Error(`replay results out of order: ${result.workflowId} answered for ${h.file} (${h.workflowId})`);
    results.set(h.file, result.error);
  }
  return results;
}

/** The history replayed without a nondeterminism (or any other) error. */
function expectReplayed(results: Map<string, Error | undefined>, h: CorpusHistory): void {
  expect(results.has(h.file), `${label(h)} was not replayed`).toBe(true);
  const error = results.get(h.file);
  if (error) throw error;
}

const RULE =
  'README "Shipping workflow changes": a change to workflows/ or contract/ (or to a package the bundle locks) is a new build, ' +
  'and jobs already running stay pinned to their build. Record the new build\'s corpus with `make record-histories` ' +
  '(bump package.json\'s version first if the corpus in place belongs to a release that has shipped).';

describe(`the current release (${today.release}, build ${todaysBuild})`, () => {
  it('has a corpus recorded from exactly today\'s workflow code', () => {
    expect(current, `no corpus for release ${today.release} under test/replay/histories/. ${RULE}`).toBeDefined();
    const recorded = current!.manifest.workflowSource;
    const what = current!.manifest.shipped
      ? `${today.release} has shipped: bump package.json's version and record its corpus with \`make record-histories\``
      : RULE;
    expect(
      recorded.hash,
      `the workflow code changed since the ${today.release} corpus was recorded (build ${current!.manifest.buildId}; today's is ${todaysBuild}). ${what}`,
    ).toBe(today.hash);
    expect(current!.manifest.buildId).toBe(todaysBuild);
  });

  it('is the newest release with a corpus (package.json\'s version did not go back)', () => {
    expect(corpora.at(-1)?.release).toBe(today.release);
  });

  it('covers every path', () => {
    const missing = Object.keys(REQUIRED_PATHS).filter((p) => !(current?.manifest.paths[p]?.length));
    expect(missing, `paths missing from the ${today.release} corpus; record them with \`make record-histories\``).toEqual([]);
  });

  it('was recorded by its build: every workflow task was completed by a worker of that Worker Deployment version', () => {
    const recorded = histories.get(current!) ?? [];
    expect(recorded.length).toBeGreaterThan(0);
    for (const h of recorded) expect([...buildIdsOf(parseHistory(h.json))], label(h)).toEqual([current!.manifest.buildId ?? '']);
  });

  describe('replays against today\'s code', () => {
    let results: Map<string, Error | undefined>;
    beforeAll(async () => {
      results = await replayAll(await workflowBundle(), current ? histories.get(current)! : []);
    });
    it.each(current ? histories.get(current)! : [])('$path (run $run)', (h) => expectReplayed(results, h));
  });
});

describe.each(accepted)('release $release, whose running jobs this build accepts, replays against today\'s code', (corpus) => {
  let results: Map<string, Error | undefined>;
  beforeAll(async () => {
    results = await replayAll(await workflowBundle(), histories.get(corpus)!);
  });
  it.each(histories.get(corpus)!)('$path (run $run)', (h) => expectReplayed(results, h));
});

describe.each(earlier)('release $release, against its own build rebuilt from git', (corpus) => {
  let results: Map<string, Error | undefined>;
  beforeAll(async () => {
    const { root } = await extractSources(corpus);
    const bundle = await bundleWorkflowCode({ workflowsPath: join(root, 'workflows', 'index.ts'), logger: new DefaultLogger('WARN') });
    results = await replayAll(bundle, histories.get(corpus)!);
  });

  it('ran on its own build only', () => {
    for (const h of histories.get(corpus)!) expect([...buildIdsOf(parseHistory(h.json))], label(h)).toEqual([corpus.manifest.buildId ?? '']);
  });

  it.each(histories.get(corpus)!)('replays $path (run $run)', (h) => expectReplayed(results, h));
});
