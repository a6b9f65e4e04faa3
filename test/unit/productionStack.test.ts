/**
 * The production stack: Dockerfile, .dockerignore, docker-compose.yml and deploy/shale.yaml. With
 * no Docker engine in CI they are checked as text and YAML, and what they rely on is run for real:
 * the build-time workflow bundle, a worker loading it through SHALE_WORKFLOW_BUNDLE, the
 * search-attribute job's script (against the run's dev server) and the image's health check.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { hostname, tmpdir } from 'node:os';
import { delimiter, dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { SEARCH_ATTRIBUTE_DECLARATIONS } from '../../contract';
import { writeWorkflowBundle } from '../../worker/bundleWorkflows';
import { parseWorkerConfig } from '../../worker/config';
import { createShaleWorker } from '../../worker/createWorker';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const text = (file: string) => readFileSync(join(ROOT, file), 'utf8');

// ---- docker-compose.yml ----

interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  restart?: string;
  depends_on?: string[] | Record<string, { condition?: string }>;
  environment?: Record<string, string | number | boolean | null> | string[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  entrypoint?: string | string[];
  command?: string | string[];
  volumes?: Array<string | { type?: string; source?: string; target?: string; read_only?: boolean }>;
  ports?: Array<string | number | { target?: number; published?: string | number }>;
}

const COMPOSE_TEXT = text('docker-compose.yml');
const compose = parseYaml(COMPOSE_TEXT) as { services: Record<string, ComposeService> };
const services = compose.services;
const service = (name: string): ComposeService => {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
};

/** A service's environment as a map; `null` means passed through from the shell running compose. */
function envOf(s: ComposeService): Record<string, string | null> {
  const env = s.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((e) => (e.includes('=') ? [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)] : [e, null])));
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? null : String(v)]));
}

/** Compose's interpolation, with nothing set in the shell: `${VAR:-default}` is its default, `$$` a `$`. */
function interpolate(value: string): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g, (m, _name, dflt: string | undefined) => (m === '$$' ? '$' : (dflt ?? '')));
}

/** The environment a container of `s` gets when compose runs with an empty shell environment. */
function containerEnv(s: ComposeService): Record<string, string> {
  return Object.fromEntries(
    Object.entries(envOf(s))
      .filter((e): e is [string, string] => e[1] !== null)
      .map(([k, v]) => [k, interpolate(v)]),
  );
}

function dependsOn(s: ComposeService): Record<string, string> {
  const deps = s.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, 'service_started']));
  return Object.fromEntries(Object.entries(deps).map(([name, d]) => [name, d.condition ?? 'service_started']));
}

const words = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : v.split(/\s+/).filter(Boolean));

// ---- Dockerfile ----

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

/** Enough of Docker's parser for these checks: line continuations, comments, ARG defaults in FROM. */
function parseDockerfile(source: string): { stages: Stage[] } {
  const lines = source
    .replace(/\\\r?\n/g, '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of lines) {
    const m = /^([A-Za-z]+)\s+(.*)$/s.exec(line);
    if (!m) throw new Error(`unparsable Dockerfile line: ${line}`);
    const keyword = m[1]!.toUpperCase();
    const args = m[2]!.trim();
    if (keyword === 'FROM') {
      const [image, as, name] = args.split(/\s+/);
      stages.push({
        image: image!.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a?: string, b?: string) => globalArgs[(a ?? b)!] ?? ''),
        name: as?.toUpperCase() === 'AS' ? name : undefined,
        instructions: [],
      });
    } else if (stages.length === 0) {
      if (keyword === 'ARG') {
        const [k, v] = args.split('=', 2);
        globalArgs[k!] = v ?? '';
      }
    } else {
      stages.at(-1)!.instructions.push({ keyword, args });
    }
  }
  return { stages };
}

const DOCKERFILE = parseDockerfile(text('Dockerfile'));
const finalStage = DOCKERFILE.stages.at(-1)!;
const all = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);
const last = (stage: Stage, keyword: string) => all(stage, keyword).at(-1);
/** A stage's WORKDIR, inherited from the stage it is built FROM. */
const workdirOf = (stage: Stage): string => {
  const base = DOCKERFILE.stages.find((s) => s.name === stage.image);
  return last(stage, 'WORKDIR')?.args ?? (base ? workdirOf(base) : '/');
};
const envOfStage = (stage: Stage): Record<string, string> =>
  Object.fromEntries(all(stage, 'ENV').flatMap((i) => i.args.split(/\s+/).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])));
/** COPY's sources and destination, its --flags apart. */
function copyArgs(i: Instruction): { flags: Record<string, string>; sources: string[]; dest: string } {
  const parts = i.args.startsWith('[') ? (JSON.parse(i.args) as string[]) : i.args.split(/\s+/);
  const flags = Object.fromEntries(parts.filter((p) => p.startsWith('--')).map((p) => [p.slice(2, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
  const paths = parts.filter((p) => !p.startsWith('--'));
  return { flags, sources: paths.slice(0, -1), dest: paths.at(-1)! };
}
const execForm = (i: Instruction | undefined): unknown => (i && i.args.startsWith('[') ? JSON.parse(i.args) : i?.args);

/** The HEALTHCHECK's command line (shell form), options apart. */
function healthcheckCommand(stage: Stage): string {
  const hc = last(stage, 'HEALTHCHECK');
  if (!hc) throw new Error('the final stage has no HEALTHCHECK');
  const m = /^(?:--[a-z-]+=\S+\s+)*CMD\s+(.+)$/s.exec(hc.args);
  if (!m) throw new Error(`HEALTHCHECK without CMD: ${hc.args}`);
  return m[1]!;
}

// ---- secrets ----

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
const SECRET_KEY = /pass(word|wd)?|pwd|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credential|auth/i;
const SECRET_VALUE = [
  /\b(?:Bearer|Basic)\s+[A-Za-z0-9+/=._~-]{8,}/, // an Authorization header's value
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/, // an AWS access key id
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\b[a-z][a-z0-9+.-]*:\/\/[^\s/?#@:]+:[^\s/?#@]+@/i, // user:password@ in a URL
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./, // a JWT
];
const looksLikeCredential = (s: string) => SECRET_VALUE.some((re) => re.test(s));

/** Literal secrets in a parsed worker config: a secret-looking key may only name an env variable (`…FromEnv`). */
function secretsInConfig(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => secretsInConfig(v, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, v]) => {
      const here = path ? `${path}.${key}` : key;
      const namesAnEnvVariable = key.endsWith('FromEnv') && typeof v === 'string' && ENV_NAME.test(v);
      // Not secrets either: a path to a file holding one, a SHA-256 of one (the API's tokens), a yes/no setting.
      const namesAFile = key.endsWith('FromFile') && typeof v === 'string' && v.startsWith('/');
      const isAHash = key.endsWith('Sha256') && typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
      const literal = SECRET_KEY.test(key) && v !== null && v !== undefined && typeof v !== 'boolean' && typeof v !== 'object' && !namesAnEnvVariable && !namesAFile && !isAHash;
      return [...(literal ? [`${here}: a literal value under a secret-looking key`] : []), ...secretsInConfig(v, here)];
    });
  }
  return typeof value === 'string' && looksLikeCredential(value) ? [`${path}: looks like a credential`] : [];
}

/** PostgreSQL's password in compose: a dev-only default, for the local stack's own database. */
const DEV_POSTGRES_PASSWORD = { keys: ['POSTGRES_PASSWORD', 'TEMPORAL_DB_PASSWORD', 'SQL_PASSWORD'], value: 'temporal' };
const SECRET_ENV = /PASSWORD|PASSWD|PWD|SECRET|TOKEN|API_?KEY|ACCESS_KEY|PRIVATE_KEY|CREDENTIAL|AUTH/i;

/** Literal secrets in compose environments: secret-looking variables must be passed through or interpolated. */
function secretsInCompose(all: Record<string, ComposeService>, raw: string): string[] {
  const found: string[] = [];
  for (const [name, s] of Object.entries(all)) {
    for (const [key, value] of Object.entries(envOf(s))) {
      if (!SECRET_ENV.test(key) || value === null) continue;
      const ref = /^\$\{([A-Z_][A-Z0-9_]*)(?::?-([^}]*))?\}$/.exec(value);
      if (!ref) {
        found.push(`${name}.${key}: a literal value`);
        continue;
      }
      const dflt = ref[2];
      if (dflt === undefined || dflt === '') continue;
      const devOnly =
        DEV_POSTGRES_PASSWORD.keys.includes(key) &&
        dflt === DEV_POSTGRES_PASSWORD.value &&
        raw.split('\n').some((line) => line.includes(`${key}:`) && line.includes(value) && /#.*dev-only/.test(line));
      if (!devOnly) found.push(`${name}.${key}: a literal default (${dflt}) not flagged as the dev-only Postgres password`);
    }
  }
  return found;
}

describe('docker-compose.yml', () => {
  it('defines PostgreSQL 15, the schema job, Temporal, the search-attribute job, the Web UI and the worker', () => {
    expect(Object.keys(services).sort()).toEqual(['postgres', 'search-attributes', 'shale-worker', 'temporal', 'temporal-schema', 'temporal-ui']);
    // Versions against the tested stack's: test/unit/composeAlignment.test.ts.
    expect(service('postgres').image).toBe('postgres:15');
    expect(service('temporal').image).toMatch(/^temporalio\/server:\d+\.\d+\.\d+$/);
    expect(service('temporal-schema').image).toMatch(/^temporalio\/admin-tools:\d+\.\d+\.\d+/);
    expect(service('search-attributes').image).toMatch(/^temporalio\/admin-tools:\d+\.\d+\.\d+/);
    expect(service('temporal-ui').image).toMatch(/^temporalio\/ui:\d+\.\d+\.\d+$/);
    expect(words(service('temporal-ui').ports?.map(String))).toContainEqual(expect.stringMatching(/(^|:)8080:8080$/));
    expect(service('shale-worker').build).toEqual({ context: '.', dockerfile: 'Dockerfile' });
  });

  it('points Temporal at the PostgreSQL service, with its user and password', () => {
    const temporal = containerEnv(service('temporal'));
    const postgres = containerEnv(service('postgres'));
    // deploy/temporal-server.yaml reads these (pluginName postgres12 is in the file).
    expect(temporal.TEMPORAL_DB_HOST).toBe('postgres');
    expect(temporal.TEMPORAL_DB_USER).toBe(postgres.POSTGRES_USER);
    expect(temporal.TEMPORAL_DB_PASSWORD).toBe(postgres.POSTGRES_PASSWORD);
    expect(text('deploy/temporal-server.yaml')).toContain('pluginName: "postgres12"');
  });

  it('runs Temporal with eager activity execution, from the dynamic config file it mounts', () => {
    const temporal = service('temporal');
    const path = containerEnv(temporal).TEMPORAL_DYNAMIC_CONFIG_FILE;
    expect(path).toBe('/etc/temporal/config/dynamicconfig/shale.yaml');
    expect(temporal.volumes).toContain(`./deploy/temporal-dynamicconfig.yaml:${path}:ro`);
    const dynamicConfig = parseYaml(text('deploy/temporal-dynamicconfig.yaml')) as Record<string, Array<{ value: unknown }>>;
    expect(dynamicConfig['system.enableActivityEagerExecution']).toEqual([{ value: true }]);
  });

  it('gives every long-running service a health check (the worker: its image HEALTHCHECK)', () => {
    const oneShot = new Set(
      Object.values(services).flatMap((s) =>
        Object.entries(dependsOn(s))
          .filter(([, condition]) => condition === 'service_completed_successfully')
          .map(([name]) => name),
      ),
    );
    expect([...oneShot].sort()).toEqual(['search-attributes', 'temporal-schema']);
    for (const job of oneShot) expect(service(job).restart).toBe('no');
    for (const [name, s] of Object.entries(services)) {
      if (oneShot.has(name)) continue;
      expect(s.healthcheck?.disable, name).not.toBe(true);
      const test = words(s.healthcheck?.test);
      if (test.length > 0) {
        expect(['CMD', 'CMD-SHELL'], name).toContain(test[0]);
        expect(test.length, name).toBeGreaterThan(1);
      } else {
        // No test of its own: Docker takes the image's, so the image must be built from a Dockerfile that has one.
        expect(s.build, `${name} has no health check`).toEqual({ context: '.', dockerfile: 'Dockerfile' });
        expect(healthcheckCommand(finalStage)).not.toMatch(/^NONE\b/);
      }
    }
    expect(words(service('postgres').healthcheck?.test).join(' ')).toMatch(/\bpg_isready\b/);
    expect(words(service('temporal').healthcheck?.test).join(' ')).toMatch(/:7243\/api\/v1\/cluster-info\b/);
  });

  it('starts in order: postgres healthy → schema set up → temporal healthy → namespace and search attributes registered → worker', () => {
    expect(dependsOn(service('temporal-schema'))).toEqual({ postgres: 'service_healthy' });
    expect(dependsOn(service('temporal'))).toEqual({ 'temporal-schema': 'service_completed_successfully' });
    expect(dependsOn(service('search-attributes'))).toEqual({ temporal: 'service_healthy' });
    expect(dependsOn(service('temporal-ui'))).toEqual({ temporal: 'service_healthy' });
    expect(dependsOn(service('shale-worker'))).toEqual({ temporal: 'service_healthy', 'search-attributes': 'service_completed_successfully' });
  });

  describe('the search-attribute job', () => {
    const job = service('search-attributes');
    const env = containerEnv(job);
    const script = interpolate((job.command as string[])[0]!);
    const pairs = (list: string) => list.split(/\s+/).map((p) => p.split('=') as [string, string]);
    const byName = (a: [string, string], b: [string, string]) => a[0].localeCompare(b[0]);

    it('registers exactly the search attributes of contract/searchAttributes.ts', () => {
      expect(pairs(env.SHALE_SEARCH_ATTRIBUTES!).sort(byName)).toEqual([...SEARCH_ATTRIBUTE_DECLARATIONS].map(([n, t]): [string, string] => [n, t]).sort(byName));
      expect(script).toMatch(/for sa in \$SHALE_SEARCH_ATTRIBUTES; do\s+temporal operator search-attribute create\b[^\n]*--name "\$\{sa%%=\*\}" --type "\$\{sa#\*=\}"/);
    });

    it('targets the Temporal service and namespace the worker uses', () => {
      const config = parseWorkerConfig(parseYaml(text('deploy/shale.yaml')), containerEnv(service('shale-worker')));
      expect(env.TEMPORAL_ADDRESS).toBe(config.temporal.address);
      expect(env.TEMPORAL_NAMESPACE).toBe(config.temporal.namespace);
    });

    const runJob = (attributes: string) => {
      const entrypoint = words(job.entrypoint);
      return spawnSync(entrypoint[0]!, [...entrypoint.slice(1), script], {
        encoding: 'utf8',
        timeout: 30_000,
        env: {
          ...process.env,
          ...env,
          SHALE_SEARCH_ATTRIBUTES: attributes,
          TEMPORAL_ADDRESS: inject('temporalAddress'),
          PATH: `${dirname(inject('tools').temporal)}${delimiter}${process.env.PATH}`,
        },
      });
    };

    it('succeeds against a server that has them, and again (re-running is safe)', () => {
      for (let run = 0; run < 2; run++) {
        const result = runJob(env.SHALE_SEARCH_ATTRIBUTES!);
        expect(result.status, result.stderr).toBe(0);
        expect(result.stdout).toContain("Shale's search attributes are registered in namespace default");
      }
    });

    it('fails when one is registered with another type', () => {
      const result = runJob(env.SHALE_SEARCH_ATTRIBUTES!.replace('ShaleAttempt=Int', 'ShaleAttempt=Keyword'));
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/ShaleAttempt/);
    });
  });

  describe('the worker service', () => {
    const worker = service('shale-worker');
    const configPath = words(worker.command)[words(worker.command).indexOf('--config') + 1];

    it('mounts deploy/shale.yaml read-only where its --config points', () => {
      expect(configPath).toBe('/etc/shale/shale.yaml');
      expect(worker.volumes).toContain(`./deploy/shale.yaml:${configPath}:ro`);
    });

    it('runs with a config that validates: EMR discovery on, Temporal from compose, Livy auth from an env variable it passes through', () => {
      const env = containerEnv(worker);
      const config = parseWorkerConfig(parseYaml(text('deploy/shale.yaml')), env, 'deploy/shale.yaml');
      expect(parseWorkerConfig(parseYaml(text('deploy/shale.yaml')), {}).temporal.address).toBe('temporal:7233');
      expect(config.temporal.address).toBe('temporal:7233');
      expect(containerEnv(service('temporal')).TEMPORAL_CLUSTER_ADDRESS).toBe(config.temporal.address);
      expect(config.emr).toMatchObject({ enabled: true, requiredTags: { 'shale:enabled': 'true' } });
      expect(config.emr.endpoint).toBeUndefined();
      expect(config.livy.authHeaderFromEnv).toMatch(ENV_NAME);
      // Passed through from the shell running compose: present, with no value written in the file.
      expect(envOf(worker)).toHaveProperty(config.livy.authHeaderFromEnv!, null);
      for (const aws of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) expect(envOf(worker)).toHaveProperty(aws, null);
      // The metrics endpoint is published.
      const metricsPort = config.metrics.prometheusBindAddress?.split(':')[1];
      expect(worker.ports?.map(String)).toContainEqual(expect.stringMatching(new RegExp(`:${metricsPort}:${metricsPort}$`)));
    });

    it('outlasts the worker’s shutdown grace when stopped', () => {
      const config = parseWorkerConfig(parseYaml(text('deploy/shale.yaml')));
      const grace = /^(\d+)s$/.exec(String((worker as { stop_grace_period?: string }).stop_grace_period));
      expect(Number(grace?.[1])).toBeGreaterThan(config.worker.shutdownGraceSeconds);
    });
  });
});

describe('no literal secrets', () => {
  it('deploy/shale.yaml: secret-looking keys only name environment variables, and no value looks like a credential', () => {
    const raw = text('deploy/shale.yaml');
    expect(secretsInConfig(parseYaml(raw))).toEqual([]);
    // Comments too: an example there gets copied.
    expect(raw.split('\n').filter(looksLikeCredential)).toEqual([]);
  });

  it('docker-compose.yml: secrets are passed through or interpolated; the only default is the dev-only Postgres password', () => {
    expect(secretsInCompose(services, COMPOSE_TEXT)).toEqual([]);
    expect(COMPOSE_TEXT.split('\n').filter(looksLikeCredential)).toEqual([]);
    const postgresPasswords = [envOf(service('postgres')).POSTGRES_PASSWORD, envOf(service('temporal-schema')).SQL_PASSWORD, envOf(service('temporal')).TEMPORAL_DB_PASSWORD];
    expect(postgresPasswords.map((p) => interpolate(p!))).toEqual([DEV_POSTGRES_PASSWORD.value, DEV_POSTGRES_PASSWORD.value, DEV_POSTGRES_PASSWORD.value]);
  });

  it('Dockerfile: no secret in ENV or ARG', () => {
    const keys = DOCKERFILE.stages.flatMap((s) => Object.keys(envOfStage(s)));
    expect(keys.filter((k) => SECRET_ENV.test(k))).toEqual([]);
    expect(text('Dockerfile').split('\n').filter(looksLikeCredential)).toEqual([]);
  });

  it('the checks catch what they look for', () => {
    expect(secretsInConfig({ livy: { authHeaderFromEnv: 'Basic dXNlcjpwYXNz' } })).toHaveLength(2);
    expect(secretsInConfig({ temporal: { apiKey: 'k' } })).toEqual(['temporal.apiKey: a literal value under a secret-looking key']);
    expect(secretsInConfig({ clusters: [{ livyUrl: 'http://admin:hunter2@livy:8998' }] })).toEqual(['clusters[0].livyUrl: looks like a credential']);
    expect(secretsInConfig({ livy: { authHeaderFromEnv: 'SHALE_LIVY_AUTH' }, emr: { enabled: true } })).toEqual([]);
    const withSecrets: Record<string, ComposeService> = {
      a: { environment: { AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI' } },
      b: { environment: ['SHALE_LIVY_AUTH=Bearer x'] },
      c: { environment: { POSTGRES_PASSWORD: '${PG:-temporal}' } }, // not flagged dev-only in the raw text below
      d: { environment: { API_TOKEN: '${API_TOKEN:-abc}' } },
    };
    expect(secretsInCompose(withSecrets, 'POSTGRES_PASSWORD: ${PG:-temporal}')).toHaveLength(4);
    expect(secretsInCompose({ e: { environment: { POSTGRES_PASSWORD: '${PG:-temporal}' } } }, 'POSTGRES_PASSWORD: ${PG:-temporal} # dev-only')).toEqual([]);
  });
});

describe('Dockerfile', () => {
  it('is multi-stage, on a Node 20 slim image, with production dependencies only (tsx is one)', () => {
    expect(DOCKERFILE.stages.length).toBeGreaterThanOrEqual(2);
    expect(finalStage.image).toMatch(/^node:20[\w.-]*-slim$/);
    const stageNames = DOCKERFILE.stages.map((s) => s.name);
    expect(stageNames).not.toContain(finalStage.image); // the runtime starts clean, not from a build stage
    const installs = DOCKERFILE.stages.flatMap((s) => all(s, 'RUN')).filter((i) => /\bnpm (ci|install)\b/.test(i.args));
    expect(installs.length).toBeGreaterThan(0);
    for (const i of installs) expect(i.args).toMatch(/\bnpm ci\b.*--omit=dev/);
    const pkg = JSON.parse(text('package.json')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    expect(pkg.dependencies).toHaveProperty('tsx');
    // Without dist/ (the image does not build the CLI), bin/shale runs the sources with tsx from node_modules.
    expect(text('bin/shale')).toMatch(/exec node --import "\$root\/node_modules\/tsx\/dist\/loader\.mjs" "\$root\/client\/cli\.ts"/);
  });

  it('copies only what the worker needs, and .dockerignore lets nothing else into the context', () => {
    const sources = all(finalStage, 'COPY')
      .map(copyArgs)
      .filter((c) => !c.flags.from)
      .flatMap((c) => c.sources)
      .map((s) => s.replace(/\/$/, ''))
      .sort();
    const needed = ['activities', 'bin', 'client', 'contract', 'package-lock.json', 'package.json', 'worker', 'workflows'];
    expect(sources).toEqual(needed);
    const ignore = text('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(ignore[0]).toBe('*');
    expect(ignore.slice(1).map((l) => l.replace(/^!/, '').replace(/\/$/, '')).sort()).toEqual(needed);
    expect(ignore.slice(1).every((l) => l.startsWith('!'))).toBe(true);
  });

  it('imports at run time only production dependencies and Node built-ins', () => {
    const pkg = JSON.parse(text('package.json')) as { dependencies: Record<string, string> };
    const files = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', 'contract', 'workflows', 'activities', 'worker', 'client'], {
      cwd: ROOT,
      encoding: 'utf8',
    })
      .stdout.split('\n')
      .filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(10);
    const missing = new Set<string>();
    for (const file of files) {
      for (const line of text(file).split('\n')) {
        if (/^\s*(import|export) type\b/.test(line)) continue; // erased by tsx
        for (const m of line.matchAll(/(?:from\s+|import\s*\(\s*|^\s*import\s+)'([^'.][^']*)'/g)) {
          const spec = m[1]!;
          const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
          if (spec.startsWith('node:') || builtinModules.includes(name)) continue;
          if (!(name in pkg.dependencies)) missing.add(`${file}: ${spec}`);
        }
      }
    }
    expect([...missing]).toEqual([]);
  });

  it('runs as a non-root user: ENTRYPOINT bin/shale worker, CMD --config /etc/shale/shale.yaml', () => {
    const user = last(finalStage, 'USER')?.args;
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    // USER comes before the process starts, i.e. nothing after it switches back.
    expect(finalStage.instructions.findIndex((i) => i.keyword === 'USER')).toBeLessThan(finalStage.instructions.findIndex((i) => i.keyword === 'ENTRYPOINT'));
    expect(execForm(last(finalStage, 'ENTRYPOINT'))).toEqual(['bin/shale', 'worker']);
    expect(execForm(last(finalStage, 'CMD'))).toEqual(['--config', '/etc/shale/shale.yaml']);
    expect(workdirOf(finalStage)).toBe('/app');
    const bin = all(finalStage, 'COPY').map(copyArgs).find((c) => c.sources.includes('bin/'));
    expect(bin?.flags.chmod).toBe('0755');
  });

  it('bundles the workflow code at build time and points SHALE_WORKFLOW_BUNDLE at the bundle', () => {
    const bundleStage = DOCKERFILE.stages.find((s) => all(s, 'RUN').some((i) => i.args.includes('worker/bundleWorkflows.ts')));
    expect(bundleStage).toBeDefined();
    expect(bundleStage).not.toBe(finalStage);
    const run = all(bundleStage!, 'RUN').find((i) => i.args.includes('worker/bundleWorkflows.ts'))!;
    const out = /node --import tsx worker\/bundleWorkflows\.ts (\S+)/.exec(run.args)?.[1];
    expect(out).toBeDefined();
    const built = posix.resolve(workdirOf(bundleStage!), out!);
    // The stage has what bundling reads: the script, contract/ and workflows/ (the script imports nothing else of ours).
    const copied = all(bundleStage!, 'COPY').flatMap((i) => copyArgs(i).sources);
    expect(copied).toEqual(expect.arrayContaining(['contract/', 'workflows/', 'worker/bundleWorkflows.ts']));
    expect(text('worker/bundleWorkflows.ts')).not.toMatch(/from '\.\.?\//);
    // The runtime stage copies that file and names it in SHALE_WORKFLOW_BUNDLE.
    const copy = all(finalStage, 'COPY')
      .map(copyArgs)
      .find((c) => c.flags.from === bundleStage!.name);
    expect(copy).toBeDefined();
    expect(copy!.sources.map((s) => posix.resolve(workdirOf(bundleStage!), s))).toEqual([built]);
    expect(envOfStage(finalStage).SHALE_WORKFLOW_BUNDLE).toBe(posix.resolve(workdirOf(finalStage), copy!.dest));
  });

  it('has a HEALTHCHECK needing nothing but node: valid JavaScript that reports no worker outside the container', () => {
    const hc = last(finalStage, 'HEALTHCHECK')!.args;
    expect(hc).toMatch(/--interval=\d+s/);
    expect(hc).toMatch(/--timeout=\d+s/);
    const command = healthcheckCommand(finalStage);
    const js = /^node --import tsx -e "(.*)"$/s.exec(command)?.[1];
    expect(js).toBeDefined();
    expect(js).not.toMatch(/["`$\\]/); // nothing the shell would touch inside the double quotes
    expect(() => new Script(js!)).not.toThrow();
    // What it reads from the worker: the exports of worker/config.ts, and its default poller identity.
    expect(js).toContain('loadWorkerConfig');
    expect(js).toContain('temporalConnectionOptions');
    expect(js).toContain("pid + '@' + os.hostname()");
    // Here no shale worker is PID 1 (or a child of it): unhealthy, with the reason.
    const result = spawnSync('sh', ['-c', command], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('unhealthy: no shale worker process');
  });
});

describe('the build-time workflow bundle', () => {
  let dir: string;
  let bundlePath: string;
  let connection: NativeConnection;
  let client: Connection;

  beforeAll(async () => {
    try {
      Runtime.install({ logger: new DefaultLogger('WARN') });
    } catch {
      // already installed in this process
    }
    dir = await mkdtemp(join(tmpdir(), 'shale-bundle-'));
    ({ path: bundlePath } = await writeWorkflowBundle(join(dir, 'dist', 'workflow-bundle.js')));
    connection = await NativeConnection.connect({ address: inject('temporalAddress') });
    client = await Connection.connect({ address: inject('temporalAddress') });
  });
  afterAll(async () => {
    await connection?.close();
    await client?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const workerConfig = (taskQueue: string) => parseWorkerConfig({ temporal: { address: inject('temporalAddress'), taskQueue } });
  const taskQueue = (what: string) => `production-stack-${what}-${Date.now()}`;

  it('is written by writeWorkflowBundle: a non-empty file with the sparkJob workflow', async () => {
    expect(bundlePath).toBe(join(dir, 'dist', 'workflow-bundle.js'));
    expect((await stat(bundlePath)).size).toBeGreaterThan(10_000);
    expect(await readFile(bundlePath, 'utf8')).toMatch(/\bsparkJob\b/);
  });

  it('is written by the command the Dockerfile runs, which otherwise says how to call it', () => {
    const out = join(dir, 'cli', 'workflow-bundle.js');
    const ok = spawnSync('node', ['--import', 'tsx', 'worker/bundleWorkflows.ts', out], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(ok.status, ok.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/\bsparkJob\b/);
    const usage = spawnSync('node', ['--import', 'tsx', 'worker/bundleWorkflows.ts'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('usage:');
  });

  it('is loaded from SHALE_WORKFLOW_BUNDLE by a worker, which then polls as <pid>@<hostname> (what the HEALTHCHECK looks for)', async () => {
    const queue = taskQueue('bundle');
    const shale = await createShaleWorker(workerConfig(queue), { connection, env: { SHALE_WORKFLOW_BUNDLE: bundlePath } });
    const identity = `${process.pid}@${hostname()}`;
    expect(shale.worker.options.identity).toBe(identity);
    const running = shale.run();
    try {
      await vi.waitFor(
        async () => {
          // kind 1: a normal task queue; type 1: workflow tasks (as in the HEALTHCHECK)
          const { pollers } = await client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: queue, kind: 1 }, taskQueueType: 1 });
          expect(pollers.map((p) => p.identity)).toContain(identity);
        },
        { timeout: 20_000, interval: 250 },
      );
    } finally {
      shale.shutdown();
      await running;
    }
  });

  it('honours SHALE_WORKFLOW_BUNDLE: a file that is not a bundle, or no file, is refused rather than bundled afresh', async () => {
    const notABundle = join(dir, 'not-a-bundle.js');
    await writeFile(notABundle, "throw new Error('not a workflow bundle');\n");
    await expect(createShaleWorker(workerConfig(taskQueue('bad')), { connection, env: { SHALE_WORKFLOW_BUNDLE: notABundle } })).rejects.toThrow();
    const missing = join(dir, 'missing.js');
    await expect(createShaleWorker(workerConfig(taskQueue('missing')), { connection, env: { SHALE_WORKFLOW_BUNDLE: missing } })).rejects.toThrow(missing);
  });

  it('still lets options.workflowBundle override SHALE_WORKFLOW_BUNDLE', async () => {
    const shale = await createShaleWorker(workerConfig(taskQueue('override')), {
      connection,
      env: { SHALE_WORKFLOW_BUNDLE: join(dir, 'missing.js') },
      workflowBundle: { codePath: bundlePath },
    });
    const running = shale.run();
    await vi.waitFor(() => expect(shale.worker.getState()).toBe('RUNNING'));
    shale.shutdown();
    await running;
    expect(shale.worker.getState()).toBe('STOPPED');
  });
});
