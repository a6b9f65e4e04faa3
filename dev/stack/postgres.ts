/**
 * A PostgreSQL cluster of the stack's own (initdb + pg_ctl from dev/tools/install-postgres.sh) on a
 * free loopback port, for Temporal's own server. Never Debian's system cluster: nothing here touches
 * port 5432 or /etc/postgresql.
 *
 * As root, every program runs as the `postgres` user (PostgreSQL refuses root), so the cluster
 * lives in a folder of its own under the temp dir, owned by postgres: a state dir made by mkdtemp is
 * mode 0700 and root's, which postgres could not enter. The login is `temporal`, the bootstrap
 * superuser (as the compose file's postgres image makes POSTGRES_USER), with a random password
 * that is written only to a 0600 file read by initdb and then deleted, and handed to the stack's
 * processes in their environment.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFile, chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { childPids, pidAlive, pidExists, sigkillAll, waitUntil, type ManagedProcess } from './managedProcess';
import { freePort } from './ports';
import { installedPaths } from './tools';

const run = promisify(execFile);

export interface PostgresServer extends ManagedProcess {
  port: number;
  user: string;
  /** Only ever passed on in an environment or a 0600 file; never printed. */
  password: string;
  /** The cluster's folder (data/ and postgres.log). */
  dir: string;
  /** `pg_ctl restart -m fast`: a clean shutdown and start on the same port. */
  restart(): Promise<void>;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

let pgBin: string | undefined;

/** PostgreSQL's bin dir, installing PostgreSQL from Debian's packages when there is none (as root). */
export function resolvePostgresBin(): string {
  if (pgBin) return pgBin;
  pgBin = installedPaths('install-postgres.sh', ['PG_BIN']).PG_BIN;
  return pgBin;
}

/** uid/gid to run PostgreSQL's programs as: the postgres user when we are root, else ourselves. */
function postgresIdentity(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const [uid, gid] = ['-u', '-g'].map((flag) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim()));
    return { uid: uid!, gid: gid! };
  } catch {
    throw new Error("running as root, but there is no 'postgres' user to run PostgreSQL as (Debian's postgresql package creates it)");
  }
}

export async function startPostgres(options: { port?: number } = {}): Promise<PostgresServer> {
  const bin = resolvePostgresBin();
  const identity = postgresIdentity();
  const dir = await mkdtemp(join(tmpdir(), 'shale-postgres-'));
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  const password = randomBytes(24).toString('base64url');
  const port = options.port ?? (await freePort());
  const pgCtl = (...args: string[]) => run(join(bin, 'pg_ctl'), ['-D', dataDir, ...args], { ...identity, cwd: dir });
  let postmasterPid = 0;
  const readPid = async () => Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);

  try {
    if (identity) await chown(dir, identity.uid, identity.gid);
    await chmod(dir, 0o700);
    const passwordFile = join(dir, 'initdb-password');
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    if (identity) await chown(passwordFile, identity.uid, identity.gid);
    await run(join(bin, 'initdb'), ['-D', dataDir, '-U', 'temporal', `--pwfile=${passwordFile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8'], {
      ...identity,
      cwd: dir,
    }).finally(() => rm(passwordFile, { force: true }));
    await appendFile(
      join(dataDir, 'postgresql.conf'),
      [
        '# dev/stack/postgres.ts',
        `port = ${port}`,
        "listen_addresses = '127.0.0.1'",
        // The socket stays in the cluster's own folder: /var/run/postgresql may not exist (no system cluster).
        `unix_socket_directories = '${dir}'`,
        // Two Temporal servers, four services each, each with its own connection pools.
        'max_connections = 300',
        // Durable against a killed server process (the OS still holds its writes), not against a power
        // cut, which a test stack does not need to survive: schema set-up and every write are faster.
        'fsync = off',
        'synchronous_commit = off',
        '',
      ].join('\n'),
    );
    await pgCtl('start', '-w', '-t', '60', '-l', logFile);
    postmasterPid = await readPid();
  } catch (err) {
    const log = await readFile(logFile, 'utf8').catch(() => '');
    await pgCtl('stop', '-m', 'immediate', '-w').catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw new Error(`PostgreSQL did not start: ${(err as Error).message}${log ? `\n${log.slice(-2000)}` : ''}`);
  }

  const server: PostgresServer = {
    name: 'postgres',
    port,
    user: 'temporal',
    password,
    dir,
    get pid() {
      return postmasterPid;
    },
    get running() {
      return postmasterPid !== 0 && pidAlive(postmasterPid);
    },
    async start() {
      await pgCtl('start', '-w', '-t', '60', '-l', logFile);
      postmasterPid = await readPid();
    },
    async restart() {
      await pgCtl('restart', '-m', 'fast', '-w', '-t', '60', '-l', logFile);
      postmasterPid = await readPid();
    },
    async kill() {
      // The postmaster and every backend, as when PostgreSQL crashes as a whole. The backends must be
      // gone too, and the postmaster reaped (a zombie keeps its pid): until then a new postmaster
      // refuses to start on the same data dir ("lock file postmaster.pid already exists").
      if (postmasterPid === 0 || !pidExists(postmasterPid)) return;
      const pids = [postmasterPid, ...childPids(postmasterPid)];
      sigkillAll(pids);
      if (!(await waitUntil(() => !pids.some(pidExists), 30_000, 50))) {
        throw new Error(`PostgreSQL's processes (${pids.filter(pidExists).join(', ')}) were still there 30 s after SIGKILL`);
      }
    },
    async stop() {
      if (server.running) await pgCtl('stop', '-m', 'fast', '-w', '-t', '30').catch(() => server.kill());
      // pg_ctl returns once the server is down; the postmaster (not our child) is then reaped by init.
      await waitUntil(() => postmasterPid === 0 || !pidExists(postmasterPid), 10_000, 50);
      await rm(dir, { recursive: true, force: true });
    },
  };
  return server;
}
