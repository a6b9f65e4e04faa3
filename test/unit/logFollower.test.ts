import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LivyClients, type LivyClient } from '../../activities/livy/client';
import { isLogMarker, splitSections } from '../../contract/livyLog';
import { LogFollower, newLines, overlapLength } from '../../client/logFollower';
import { livyLogEntries, startLivySimulator, type LivySimulator } from '../../dev/livy-sim/index';

describe('overlapLength / newLines', () => {
  it('joins by the longest run that ends what was shown and starts the new read', () => {
    expect(overlapLength(['a', 'b', 'c'], ['b', 'c', 'd'])).toBe(2);
    expect(newLines(['a', 'b', 'c'], ['b', 'c', 'd'])).toEqual(['d']);
    expect(newLines(['a', 'b'], ['a', 'b'])).toEqual([]);
    expect(newLines([], ['a'])).toEqual(['a']);
    expect(newLines(['a'], [])).toEqual([]);
    // no overlap: everything is new (lines in between were lost to the buffer)
    expect(newLines(['a', 'b'], ['x', 'y'])).toEqual(['x', 'y']);
    // repeated lines: the longest overlap wins, so a line is never shown twice
    expect(newLines(['x', 'x', 'x'], ['x', 'x', 'x', 'x'])).toEqual(['x']);
  });
});

/** An app writing numbered lines, and Livy's buffer of them (the simulator's own code). */
class SimulatedApp {
  stdout = 0;
  stderr: string[] = [];
  print(stdoutLines: number, stderrLines: number): void {
    this.stdout += stdoutLines;
    for (let i = 0; i < stderrLines; i += 1) this.stderr.push(`err ${this.stderr.length + 1}`);
  }
  buffer(): string[] {
    return livyLogEntries(this.stdout, (n) => `line ${n}`, this.stderr);
  }
}

/** One read as the log activity hands it over: split at Livy's markers, markers dropped. */
const sectionsOf = (entries: string[]) => splitSections(entries).map((s) => ({ name: s.name, lines: s.lines }));

const step = (maxStdout: number, maxStderr: number) => fc.record({ stdout: fc.nat({ max: maxStdout }), stderr: fc.nat({ max: maxStderr }) });

describe('LogFollower against the simulator\'s circular buffer (property-based)', () => {
  it('read at least once per 200 new lines of a section: every line is shown once, in order, and no marker', () => {
    fc.assert(
      fc.property(fc.array(step(200, 200), { maxLength: 40 }), (steps) => {
        const app = new SimulatedApp();
        const follower = new LogFollower();
        const shown: string[] = [];
        const expected: string[] = [];
        let stdoutSeen = 0;
        let stderrSeen = 0;
        for (const { stdout, stderr } of steps) {
          app.print(stdout, stderr);
          shown.push(...follower.next(sectionsOf(app.buffer())));
          // per read: the new stdout lines, then the new stderr lines (Livy's layout)
          for (let n = stdoutSeen + 1; n <= app.stdout; n += 1) expected.push(`line ${n}`);
          expected.push(...app.stderr.slice(stderrSeen));
          stdoutSeen = app.stdout;
          stderrSeen = app.stderr.length;
        }
        expect(shown).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('read however rarely: each line shown at most once, in order, never a marker, and every line any read held', () => {
    fc.assert(
      fc.property(fc.array(step(600, 300), { maxLength: 30 }), (steps) => {
        const app = new SimulatedApp();
        const follower = new LogFollower();
        const shown: string[] = [];
        const held = new Set<string>();
        for (const { stdout, stderr } of steps) {
          app.print(stdout, stderr);
          const entries = app.buffer();
          for (const entry of entries) if (!isLogMarker(entry)) held.add(entry);
          shown.push(...follower.next(sectionsOf(entries)));
        }
        expect(shown.some(isLogMarker)).toBe(false);
        expect(new Set(shown).size).toBe(shown.length);
        expect(new Set(shown)).toEqual(held);
        const numbers = (prefix: string) => shown.filter((l) => l.startsWith(prefix)).map((l) => Number(l.split(' ')[1]));
        for (const prefix of ['line ', 'err ']) {
          const ns = numbers(prefix);
          expect(ns).toEqual([...ns].sort((a, b) => a - b));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('paging by `from=<previous total>`, as `shale logs --follow` did, loses lines the follower keeps', () => {
    const app = new SimulatedApp();
    const follower = new LogFollower();
    let byTotal: string[] = [];
    let total = 0;
    let followed: string[] = [];
    // 400 lines read every 20 lines
    for (let i = 0; i < 20; i += 1) {
      app.print(20, 0);
      const entries = app.buffer();
      byTotal = byTotal.concat(entries.slice(total).filter((e) => !isLogMarker(e)));
      total = entries.length;
      followed = followed.concat(follower.next(sectionsOf(entries)));
    }
    expect(followed).toHaveLength(400);
    expect(byTotal.length).toBeLessThan(400);
  });

  it('a read that is not split into sections (the tail Shale kept) joins to all that was shown', () => {
    const follower = new LogFollower();
    expect(follower.next([{ name: 'stdout', lines: ['a', 'b', 'c'] }, { name: 'stderr', lines: ['boom'] }])).toEqual(['a', 'b', 'c', 'boom']);
    expect(follower.next([{ lines: ['b', 'c', 'boom'] }])).toEqual([]);
    expect(follower.next([{ lines: ['c', 'boom', 'later'] }])).toEqual(['later']);
  });
});

describe('LogFollower against a running simulated batch', () => {
  let sim: LivySimulator;
  let clients: LivyClients;
  let client: LivyClient;

  beforeAll(async () => {
    sim = await startLivySimulator({ startingMs: 10 });
    clients = new LivyClients();
    client = clients.for(sim.url);
  });
  afterAll(async () => {
    await clients.close();
    await sim.close();
  });

  it('shows all 400 lines of an app printing them over its run, each once, while Livy keeps only 200', async () => {
    const name = 'follow-Job1-a1';
    await client.createBatch({ name, file: 's3://b/x.py', conf: { 'shale.sim.logLines': '400', 'shale.sim.durationMs': '3000' } });
    const follower = new LogFollower();
    const shown: string[] = [];
    let reads = 0;
    for (;;) {
      const state = (await client.getBatch(name)).state;
      const { log } = await client.getLog(name, { from: 0, size: 1000 });
      shown.push(...follower.next(sectionsOf(log)));
      reads += 1;
      if (state === 'success') break;
    }
    expect(reads).toBeGreaterThan(2);
    expect(shown).toEqual(Array.from({ length: 400 }, (_, i) => `line ${i + 1} of ${name}`));
  });
});
