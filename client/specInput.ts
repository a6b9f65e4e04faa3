/** Reads a job spec for the CLI: a JSON/YAML file (or - for stdin), with flags layered on top. */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';

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
    let parsed: unknown;
    try {
      parsed = parseYaml(text); // YAML is a superset of JSON
    } catch (err) {
      throw new SpecInputError(`${path} is not valid JSON or YAML: ${(err as Error).message.split('\n')[0]}`);
    }
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

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
