/**
 * docker-compose.yml and the tested production-shaped stack (dev/stack/productionStack.ts) must run
 * the same thing: PostgreSQL's major and Temporal's version (dev/tools/versions.env, which the
 * install scripts read), the server's config template and command line, the schema script, the
 * dynamic config, the namespace and the search attributes. `alignmentProblems` lists every
 * difference; the real files must have none, and each kind of drift must be caught.
 */
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { SEARCH_ATTRIBUTE_DECLARATIONS } from '../../contract';
import { EAGER_ACTIVITIES } from '../../dev/stack/devServer';
import { NAMESPACE } from '../../dev/stack/productionStack';
import {
  DYNAMIC_CONFIG_FILE,
  NAMESPACE_RETENTION_DAYS,
  SCHEMA_SCRIPT,
  SERVER_CONFIG_DIR,
  SERVER_CONFIG_ENV,
  temporalServerArgs,
  temporalServerEnvironment,
  type TemporalServerPorts,
} from '../../dev/stack/temporalServer';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const text = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** dev/tools/versions.env: KEY=VALUE lines, comments and blanks ignored. */
function readVersions(): Record<string, string> {
  return Object.fromEntries(
    text('dev/tools/versions.env')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

/** The environment variables deploy/temporal-server.yaml reads (`env "NAME"`), with their defaults. */
function templateVariables(): Map<string, string | undefined> {
  const found = new Map<string, string | undefined>();
  for (const m of text('deploy/temporal-server.yaml').matchAll(/env "([A-Z0-9_]+)"(?:\s*\|\s*default "([^"]*)")?/g)) {
    if (!found.has(m[1]!) || m[2] !== undefined) found.set(m[1]!, m[2]);
  }
  return found;
}

interface Service {
  image?: string;
  environment?: Record<string, unknown>;
  volumes?: string[];
  entrypoint?: string | string[];
  command?: string | string[];
  depends_on?: Record<string, { condition?: string }>;
  ports?: string[];
}

const asList = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : v.split(/\s+/).filter(Boolean));

/** Compose's interpolation with an empty shell environment: `${VAR:-default}` is its default. */
const interpolate = (value: unknown) => String(value ?? '').replace(/\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-([^}]*))?\}/g, (_m, dflt: string | undefined) => dflt ?? '');
const envOf = (s: Service | undefined): Record<string, string> => Object.fromEntries(Object.entries(s?.environment ?? {}).map(([k, v]) => [k, interpolate(v)]));

/** Where compose mounts a repository file in a service (`./file:/target[:ro]`), or undefined. */
function mountOf(s: Service | undefined, file: string): string | undefined {
  return s?.volumes?.find((v) => v.startsWith(`./${file}:`))?.split(':')[1];
}

/** Every way docker-compose.yml (given as text) differs from the tested stack; empty when aligned. */
function alignmentProblems(composeText: string): string[] {
  const problems: string[] = [];
  const expectThat = (ok: boolean, problem: string) => void (ok || problems.push(problem));
  const versions = readVersions();
  const services = (parseYaml(composeText) as { services?: Record<string, Service> }).services ?? {};
  const postgres = services.postgres;
  const temporal = services.temporal;
  const schemaJob = services['temporal-schema'];
  const setupJob = services['search-attributes'];

  // Versions.
  const pgMajor = /^postgres:(\d+)(?:[.-].*)?$/.exec(postgres?.image ?? '')?.[1];
  expectThat(pgMajor === versions.POSTGRES_MAJOR, `postgres image ${postgres?.image} is not PostgreSQL ${versions.POSTGRES_MAJOR} (dev/tools/versions.env POSTGRES_MAJOR)`);
  expectThat(temporal?.image === `temporalio/server:${versions.TEMPORAL_SERVER_VERSION}`, `temporal image ${temporal?.image} is not temporalio/server:${versions.TEMPORAL_SERVER_VERSION}`);
  for (const [name, s] of Object.entries(services)) {
    if (s.image?.startsWith('temporalio/admin-tools:')) {
      expectThat(s.image.startsWith(`temporalio/admin-tools:${versions.TEMPORAL_SERVER_VERSION}-`), `${name} image ${s.image} is not admin-tools ${versions.TEMPORAL_SERVER_VERSION}`);
    }
    expectThat(!s.image?.startsWith('temporalio/auto-setup'), `${name} runs temporalio/auto-setup, whose own config template and set-up script the tested stack does not run`);
  }

  // The server: the same template, command line and settings.
  const command = [...asList(temporal?.entrypoint), ...asList(temporal?.command)];
  const at = (flag: string) => command[command.indexOf(flag) + 1] ?? '';
  const root = at('--root');
  const config = at('--config');
  expectThat(
    JSON.stringify(command.slice(1)) === JSON.stringify(temporalServerArgs(root, config)) && command[0] === 'temporal-server',
    `temporal runs \`${command.join(' ')}\`, not \`temporal-server ${temporalServerArgs(root, config).join(' ')}\` as the tested stack does`,
  );
  expectThat(
    mountOf(temporal, 'deploy/temporal-server.yaml') === posix.join(root, config, `${SERVER_CONFIG_ENV}.yaml`),
    `temporal does not mount deploy/temporal-server.yaml as ${posix.join(root, config, `${SERVER_CONFIG_ENV}.yaml`)}, the file its command line loads`,
  );
  const variables = templateVariables();
  const temporalEnv = envOf(temporal);
  for (const name of Object.keys(temporalEnv)) expectThat(variables.has(name), `temporal sets ${name}, which deploy/temporal-server.yaml does not read`);
  expectThat(temporalEnv.TEMPORAL_DB_HOST === 'postgres', 'temporal does not reach PostgreSQL at the postgres service (TEMPORAL_DB_HOST)');
  expectThat(temporalEnv.TEMPORAL_DB_USER === envOf(postgres).POSTGRES_USER, 'temporal logs in as another user than postgres creates (TEMPORAL_DB_USER)');
  expectThat(temporalEnv.TEMPORAL_DB_PASSWORD === envOf(postgres).POSTGRES_PASSWORD, 'temporal has another password than postgres (TEMPORAL_DB_PASSWORD)');
  const frontendPort = temporalEnv.TEMPORAL_FRONTEND_GRPC_PORT ?? variables.get('TEMPORAL_FRONTEND_GRPC_PORT');
  expectThat(temporal?.ports?.some((p) => p.endsWith(`:${frontendPort}:${frontendPort}`)) ?? false, `temporal does not publish its frontend port ${frontendPort}`);

  // Dynamic config: one file for the dev server's settings, the tested stack and compose.
  const dynamicConfigPath = temporalEnv.TEMPORAL_DYNAMIC_CONFIG_FILE ?? variables.get('TEMPORAL_DYNAMIC_CONFIG_FILE');
  expectThat(
    mountOf(temporal, 'deploy/temporal-dynamicconfig.yaml') === dynamicConfigPath,
    `temporal does not mount deploy/temporal-dynamicconfig.yaml at ${dynamicConfigPath}, the dynamic config file its config names`,
  );
  expectThat(DYNAMIC_CONFIG_FILE === join(ROOT, 'deploy/temporal-dynamicconfig.yaml'), `the tested stack's dynamic config is ${DYNAMIC_CONFIG_FILE}`);

  // Schema: the same script, against the same database login.
  const schemaCommand = [...asList(schemaJob?.entrypoint), ...asList(schemaJob?.command)];
  const schemaMount = mountOf(schemaJob, 'deploy/temporal-schema.sh');
  expectThat(schemaMount !== undefined && schemaCommand.includes(schemaMount), 'temporal-schema does not run deploy/temporal-schema.sh (mounted, and named in its command)');
  expectThat(SCHEMA_SCRIPT === join(ROOT, 'deploy/temporal-schema.sh'), `the tested stack's schema script is ${SCHEMA_SCRIPT}`);
  const schemaEnv = envOf(schemaJob);
  expectThat(
    schemaEnv.SQL_HOST === 'postgres' && schemaEnv.SQL_USER === envOf(postgres).POSTGRES_USER && schemaEnv.SQL_PASSWORD === envOf(postgres).POSTGRES_PASSWORD,
    'temporal-schema does not log in to the postgres service as its user (SQL_HOST, SQL_USER, SQL_PASSWORD)',
  );

  // Namespace and search attributes, as registerNamespace does them.
  const setupEnv = envOf(setupJob);
  const declared = (setupEnv.SHALE_SEARCH_ATTRIBUTES ?? '').split(/\s+/).filter(Boolean).sort();
  const contract = SEARCH_ATTRIBUTE_DECLARATIONS.map(([name, type]) => `${name}=${type}`).sort();
  expectThat(JSON.stringify(declared) === JSON.stringify(contract), `search-attributes registers ${declared.join(' ')}, not the contract's ${contract.join(' ')}`);
  expectThat(setupEnv.TEMPORAL_NAMESPACE === NAMESPACE, `search-attributes sets up namespace ${setupEnv.TEMPORAL_NAMESPACE}, not ${NAMESPACE}`);
  expectThat(
    setupEnv.SHALE_NAMESPACE_RETENTION === `${NAMESPACE_RETENTION_DAYS * 24}h`,
    `search-attributes keeps closed workflows ${setupEnv.SHALE_NAMESPACE_RETENTION}, not ${NAMESPACE_RETENTION_DAYS * 24}h`,
  );
  expectThat(setupEnv.TEMPORAL_ADDRESS === (temporalEnv.TEMPORAL_CLUSTER_ADDRESS ?? variables.get('TEMPORAL_CLUSTER_ADDRESS')), 'search-attributes targets another address than the server calls its own');

  // Start-up order: schema before the server, namespace and attributes before the worker.
  const dependsOn = (s: Service | undefined, on: string) => s?.depends_on?.[on]?.condition;
  expectThat(dependsOn(temporal, 'temporal-schema') === 'service_completed_successfully', 'temporal does not wait for temporal-schema to complete');
  expectThat(dependsOn(schemaJob, 'postgres') === 'service_healthy', 'temporal-schema does not wait for postgres to be healthy');
  expectThat(dependsOn(setupJob, 'temporal') === 'service_healthy', 'search-attributes does not wait for temporal to be healthy');
  expectThat(dependsOn(services['shale-worker'], 'search-attributes') === 'service_completed_successfully', 'shale-worker does not wait for search-attributes to complete');
  return problems;
}

/** docker-compose.yml with one change made by `edit` on its parsed form. */
function composeWith(edit: (services: Record<string, Service>) => void): string {
  const doc = parseYaml(text('docker-compose.yml')) as { services: Record<string, Service> };
  edit(doc.services);
  return toYaml(doc);
}

describe('docker-compose.yml runs what the tested production stack runs', () => {
  it('has no difference from it', () => {
    expect(alignmentProblems(text('docker-compose.yml'))).toEqual([]);
  });

  it('takes its versions from dev/tools/versions.env, which the install scripts read', () => {
    const versions = readVersions();
    expect(versions.TEMPORAL_SERVER_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
    expect(versions.POSTGRES_MAJOR).toMatch(/^\d+$/);
    for (const script of ['dev/tools/install-temporal-server.sh', 'dev/tools/install-postgres.sh']) {
      expect(text(script)).toContain('source "$root/dev/tools/versions.env"');
    }
    expect(text('dev/tools/install-temporal-server.sh')).toContain('go.temporal.io/server/cmd/server@v$TEMPORAL_SERVER_VERSION');
    expect(text('dev/tools/install-postgres.sh')).toContain('/usr/lib/postgresql/$POSTGRES_MAJOR/bin');
  });

  it('the tested stack sets only variables the server config reads, on loopback, with the dynamic config file', () => {
    const ports = Object.fromEntries(
      ['frontendGrpc', 'frontendMembership', 'frontendHttp', 'historyGrpc', 'historyMembership', 'matchingGrpc', 'matchingMembership', 'workerGrpc', 'workerMembership', 'metrics'].map(
        (key, i) => [key, 20_000 + i],
      ),
    ) as unknown as TemporalServerPorts;
    const env = temporalServerEnvironment({ port: 5432, user: 'temporal', password: 'not-a-secret' }, ports, 'warn');
    const variables = templateVariables();
    expect(Object.keys(env).filter((name) => !variables.has(name))).toEqual([]);
    // Every port the template has is set explicitly: two processes on one host cannot use the defaults.
    const portVariables = [...variables.keys()].filter((name) => name.endsWith('_PORT') && name !== 'TEMPORAL_DB_PORT');
    expect(portVariables.filter((name) => env[name] === undefined)).toEqual([]);
    expect(env.TEMPORAL_BIND_ON_LOCALHOST).toBe('true');
    expect(env.TEMPORAL_DYNAMIC_CONFIG_FILE).toBe(DYNAMIC_CONFIG_FILE);
    expect(temporalServerArgs(SERVER_CONFIG_DIR, '.')).toContain('--allow-no-auth');
    expect(readFileSync(join(SERVER_CONFIG_DIR, `${SERVER_CONFIG_ENV}.yaml`), 'utf8')).toMatch(/^# enable-template/);
  });

  it('the dynamic config file holds the dev server’s settings too (eager activities)', () => {
    const file = parseYaml(text('deploy/temporal-dynamicconfig.yaml')) as Record<string, Array<{ value: unknown }>>;
    for (const [key, value] of Object.entries(EAGER_ACTIVITIES)) expect(file[key], key).toEqual([{ value }]);
  });

  describe('catches each kind of drift', () => {
    const drifts: Array<[string, (services: Record<string, Service>) => void, RegExp]> = [
      ['another PostgreSQL major', (s) => (s.postgres!.image = 'postgres:16'), /not PostgreSQL/],
      ['another Temporal version', (s) => (s.temporal!.image = 'temporalio/server:1.30.0'), /is not temporalio\/server:/],
      ['admin tools of another version', (s) => (s['search-attributes']!.image = 'temporalio/admin-tools:1.28.0-tctl-1.18.4-cli-1.5.0'), /admin-tools/],
      ['the auto-setup image', (s) => (s.temporal!.image = 'temporalio/auto-setup:1.29.1'), /auto-setup/],
      ['another config file', (s) => (s.temporal!.volumes = s.temporal!.volumes!.map((v) => v.replace('temporal-server.yaml:', 'other.yaml:'))), /does not mount deploy\/temporal-server\.yaml/],
      ['another command line', (s) => (s.temporal!.command = asList(s.temporal!.command).filter((a) => a !== '--allow-no-auth')), /not `temporal-server/],
      ['a setting the config does not read', (s) => (s.temporal!.environment = { ...s.temporal!.environment, DYNAMIC_CONFIG_FILE_PATH: 'x' }), /DYNAMIC_CONFIG_FILE_PATH/],
      ['another dynamic config', (s) => (s.temporal!.environment = { ...s.temporal!.environment, TEMPORAL_DYNAMIC_CONFIG_FILE: '/elsewhere.yaml' }), /temporal-dynamicconfig/],
      ['another password', (s) => (s.temporal!.environment = { ...s.temporal!.environment, TEMPORAL_DB_PASSWORD: 'other' }), /password/],
      ['another schema script', (s) => (s['temporal-schema']!.entrypoint = ['bash', '/other.sh']), /temporal-schema\.sh/],
      [
        'a search attribute missing',
        (s) => (s['search-attributes']!.environment = { ...s['search-attributes']!.environment, SHALE_SEARCH_ATTRIBUTES: 'ShaleState=Keyword' }),
        /not the contract's/,
      ],
      [
        'a search attribute of another type',
        (s) => {
          const env = s['search-attributes']!.environment!;
          s['search-attributes']!.environment = { ...env, SHALE_SEARCH_ATTRIBUTES: String(env.SHALE_SEARCH_ATTRIBUTES).replace('ShaleAttempt=Int', 'ShaleAttempt=Keyword') };
        },
        /not the contract's/,
      ],
      ['another retention', (s) => (s['search-attributes']!.environment = { ...s['search-attributes']!.environment, SHALE_NAMESPACE_RETENTION: '72h' }), /72h/],
      ['the server started before its schema', (s) => (s.temporal!.depends_on = { postgres: { condition: 'service_healthy' } }), /temporal-schema to complete/],
    ];
    it.each(drifts)('%s', (_label, edit, problem) => {
      const problems = alignmentProblems(composeWith(edit));
      expect(problems).toContainEqual(expect.stringMatching(problem));
    });
  });
});
