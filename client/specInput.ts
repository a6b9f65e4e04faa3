/** Reads a job spec for the CLI: a JSON/YAML file (or - for stdin), with flags layered on top. */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { MAX_SPEC_DEPTH } from '../contract';

export interface SpecFlags {
  name?: string;
  team?: string;
  kind?: string;
  file?: string;
  className?: string;
  sql?: string;
  arg?: string[];
  pyFile?: string[];
  jar?: string[];
  conf?: string[];
  label?: string[];
  size?: string;
  queue?: string;
  proxyUser?: string;
  sparkVersion?: string;
  pool?: string;
  cluster?: string;
  runTimeout?: string;
  queueTimeout?: string;
}

export class SpecInputError extends Error {}

function keyValues(flag: string, values: string[] | undefined): Record<string, string> | undefined {
  if (!values?.length) return undefined;
  return Object.fromEntries(
    values.map((kv) => {
      const i = kv.indexOf('=');
      if (i <= 0) throw new SpecInputError(`--${flag} ${kv}: expected key=value`);
      return [kv.slice(0, i), kv.slice(i + 1)];
    }),
  );
}

export async function readSpec(path: string | undefined, flags: SpecFlags): Promise<Record<string, unknown>> {
  let base: Record<string, unknown> = {};
  if (path) {
    const text = path === '-' ? await readStdin() : await readFile(path, 'utf8').catch(() => {
      throw new SpecInputError(`cannot read spec file ${path}`);
    });
    const parsed = parseSpecText(path, text);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new SpecInputError(`${path} must hold one object`);
    base = parsed as Record<string, unknown>;
  }
  const set = (key: string, value: unknown) => {
    if (value !== undefined) base[key] = value;
  };
  set('name', flags.name);
  set('team', flags.team);
  set('kind', flags.kind);
  set('file', flags.file);
  set('className', flags.className);
  set('sql', flags.sql);
  set('args', flags.arg?.length ? flags.arg : undefined);
  set('pyFiles', flags.pyFile?.length ? flags.pyFile : undefined);
  set('jars', flags.jar?.length ? flags.jar : undefined);
  const conf = keyValues('conf', flags.conf);
  if (conf) base.conf = { ...(base.conf as object | undefined), ...conf };
  const labels = keyValues('label', flags.label);
  if (labels) base.labels = { ...(base.labels as object | undefined), ...labels };
  set('size', flags.size?.toUpperCase());
  set('queue', flags.queue);
  set('proxyUser', flags.proxyUser);
  if (flags.sparkVersion || flags.pool || flags.cluster) {
    base.route = {
      ...(base.route as object | undefined),
      ...(flags.sparkVersion ? { sparkVersion: flags.sparkVersion } : {}),
      ...(flags.pool ? { pool: flags.pool } : {}),
      ...(flags.cluster ? { clusterId: flags.cluster } : {}),
    };
  }
  if (flags.runTimeout || flags.queueTimeout) {
    base.timeouts = {
      ...(base.timeouts as object | undefined),
      ...(flags.runTimeout ? { run: flags.runTimeout } : {}),
      ...(flags.queueTimeout ? { queue: flags.queueTimeout } : {}),
    };
  }
  return base;
}

/**
 * Deepest nesting of [ ] and { } handed to the YAML parser, which recurses per level: a few
 * hundred levels overflow its stack, twenty thousand exhaust the process's memory.
 */
export const MAX_TEXT_NESTING = 64;

function parseSpecText(path: string, text: string): unknown {
  const deep = nestingBeyond(text, MAX_TEXT_NESTING);
  if (deep) {
    // Deep JSON is still JSON: V8's JSON.parse does not recurse, and the contract then names the field that is too deep.
    try {
      return JSON.parse(text);
    } catch {
      throw new SpecInputError(
        `${path} nests collections more than ${MAX_TEXT_NESTING} levels deep (line ${deep.line}, column ${deep.column}); no field of a job spec nests deeper than ${MAX_SPEC_DEPTH}`,
      );
    }
  }
  try {
    return parseYaml(text); // YAML is a superset of JSON
  } catch (err) {
    const first = (err as Error).message.split('\n')[0]!;
    if (first.startsWith('Maximum call stack size exceeded')) {
      throw new SpecInputError(`${path} nests too deeply to read (${first.replace('Maximum call stack size exceeded ', '')}); no field of a job spec nests deeper than ${MAX_SPEC_DEPTH}`);
    }
    throw new SpecInputError(`${path} is not valid JSON or YAML: ${first}`);
  }
}

/**
 * Where the text's [ ] / { } nesting first passes `limit` (1-based line and column), skipping quoted
 * text and comments. A quote only opens a string where a scalar can start, so `don't` in a plain
 * scalar does not hide the brackets after it.
 */
export function nestingBeyond(text: string, limit: number): { line: number; column: number } | undefined {
  let depth = 0;
  let line = 1;
  let lineStart = 0;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      lineStart = i + 1;
      if (quote === undefined) continue;
    }
    if (quote === '"') {
      if (c === '\\' && text[i + 1] !== '\n') i++;
      else if (c === '"') quote = undefined;
      continue;
    }
    if (quote === "'") {
      if (c === "'" && text[i + 1] === "'") i++; // '' is an escaped quote
      else if (c === "'") quote = undefined;
      continue;
    }
    const before = i === 0 ? '\n' : text[i - 1]!;
    const scalarStart = /[\s[{,:]/.test(before);
    if ((c === '"' || c === "'") && scalarStart) quote = c;
    else if (c === '#' && /\s/.test(before)) {
      const end = text.indexOf('\n', i);
      i = (end < 0 ? text.length : end) - 1;
    } else if (c === '[' || c === '{') {
      if (++depth > limit) return { line, column: i - lineStart + 1 };
    } else if (c === ']' || c === '}') depth = Math.max(0, depth - 1);
  }
  return undefined;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
