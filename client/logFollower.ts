/**
 * Following Livy's batch log, which is a 200-line circular buffer per section (LIVY.md): once
 * full, every index shifts as lines arrive, so "give me what follows index N" loses lines. A
 * follower instead re-reads the tail and joins it to what it already showed by content: the
 * longest run at the end of what was shown that starts the new read is the overlap, and what
 * follows it is new. Each section (stdout, stderr, YARN diagnostics) is joined on its own, since
 * Livy lays them out one after the other whatever order their lines were written in.
 *
 * Pure: no I/O, no Node.
 */
import { isLogMarker } from '../contract/livyLog';

/** The lines of one section of a read, markers already removed. */
export interface SectionRead {
  /** 'stdout' | 'stderr' | 'yarnDiagnostics'; undefined for a read that is not split into sections. */
  name?: string;
  lines: readonly string[];
}


/** Sections in Livy's order, so a read that is not split into sections can be joined to all of them. */
const SECTION_ORDER = ['stdout', 'stderr', 'yarnDiagnostics'];

/** How many leading lines of `next` the end of `shown` already holds (longest suffix/prefix overlap). */
export function overlapLength(shown: readonly string[], next: readonly string[]): number {
  for (let n = Math.min(shown.length, next.length); n > 0; n -= 1) {
    const offset = shown.length - n;
    let matches = true;
    for (let i = 0; i < n && matches; i += 1) matches = shown[offset + i] === next[i];
    if (matches) return n;
  }
  return 0;
}

/** The lines of `next` that `shown` does not end with. */
export function newLines(shown: readonly string[], next: readonly string[]): string[] {
  return next.slice(overlapLength(shown, next));
}

export class LogFollower {
  /** The last lines shown, per section. */
  private readonly shown = new Map<string, string[]>();

  /**
   * @param memory lines remembered per section; must be at least the section size Livy keeps
   *   (200), so a re-read of an unchanged buffer overlaps in full.
   */
  constructor(private readonly memory = 1_000) {}

  /** Takes a fresh read of the buffer; returns the lines not shown before, each once, in Livy's order. */
  next(read: readonly SectionRead[]): string[] {
    const fresh: string[] = [];
    for (const section of read) {
      const lines = section.lines.filter((line) => !isLogMarker(line)) // in case a read still carries Livy's markers;
      const key = section.name ?? '';
      const shown = key === '' ? this.everythingShown() : (this.shown.get(key) ?? []);
      const added = newLines(shown, lines);
      this.remember(key === '' ? this.lastSection() : key, added);
      fresh.push(...added);
    }
    return fresh;
  }

  /** What was shown, section after section in Livy's order: what an unsplit read is joined to. */
  private everythingShown(): string[] {
    return this.keysInOrder().flatMap((key) => this.shown.get(key) ?? []);
  }

  private lastSection(): string {
    return this.keysInOrder().at(-1) ?? '';
  }

  private keysInOrder(): string[] {
    const known = SECTION_ORDER.filter((key) => this.shown.has(key));
    const others = [...this.shown.keys()].filter((key) => !SECTION_ORDER.includes(key));
    return [...known, ...others];
  }

  private remember(key: string, added: readonly string[]): void {
    if (added.length === 0 && this.shown.has(key)) return;
    const lines = [...(this.shown.get(key) ?? []), ...added];
    this.shown.set(key, lines.slice(-this.memory));
  }
}
