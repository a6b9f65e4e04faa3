/**
 * Livy's log array, as LIVY.md describes it: section markers are entries of their own
 * (`"stdout: "`, `"\nstderr: "`, and on YARN `"\nYARN Diagnostics: "`), each followed by that
 * section's lines. A marker is never one of the app's lines.
 */

export type LogSectionName = 'stdout' | 'stderr' | 'yarnDiagnostics';

const SECTION_BY_MARKER: ReadonlyMap<string, LogSectionName> = new Map([
  ['stdout: ', 'stdout'],
  ['\nstderr: ', 'stderr'],
  ['\nYARN Diagnostics: ', 'yarnDiagnostics'],
]);

/** The markers Livy writes between sections. */
export const LIVY_LOG_MARKERS: readonly string[] = [...SECTION_BY_MARKER.keys()];

export function isLogMarker(entry: string): boolean {
  return SECTION_BY_MARKER.has(entry);
}

/** The app's lines only, in Livy's order. */
export function withoutMarkers(entries: readonly string[]): string[] {
  return entries.filter((entry) => !isLogMarker(entry));
}

export interface LogSection {
  /** Undefined for lines before the first marker of a page that starts inside a section. */
  name?: LogSectionName;
  lines: string[];
}

/**
 * Splits a page of Livy's log at its markers. A page read from index 0 starts with the stdout
 * marker, so every line gets its section; a page from further on may start inside one.
 */
export function splitSections(entries: readonly string[]): LogSection[] {
  const sections: LogSection[] = [];
  let current: LogSection | undefined;
  for (const entry of entries) {
    const name = SECTION_BY_MARKER.get(entry);
    if (name !== undefined) {
      current = { name, lines: [] };
      sections.push(current);
      continue;
    }
    if (!current) {
      current = { lines: [] };
      sections.push(current);
    }
    current.lines.push(entry);
  }
  return sections;
}
