/**
 * The demo's HTTP API (`shale api`), run in the demo's own process on a free port. Its one
 * principal's token is made fresh for each run and lives only in this process's memory: the config
 * file holds its SHA-256, and the token itself is shown only to an operator who keeps the stack up
 * (KEEP=1), on their own terminal.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { pino } from 'pino';
import type { ApiConfigInput } from '../../api/config';
import { startApiFromConfig } from '../../api/main';

export interface DemoApiCredentials {
  /** The principal's name: the API records it as the job's requestedBy. */
  principal: string;
  team: string;
  token: string;
  /** The `api:` section of the demo's config (no secret in it). */
  configSection: ApiConfigInput;
}

export interface DemoApi {
  url: string;
  principal: string;
  team: string;
  token: string;
  stop(): Promise<void>;
}

/** What a demo token looks like (tests look for it in the demo's output and logs). */
export const DEMO_TOKEN_PATTERN = /shale-demo-[0-9a-f]{36}/;

export function demoApiCredentials(team: string): DemoApiCredentials {
  const principal = `${team}-operator`;
  const token = `shale-demo-${randomBytes(18).toString('hex')}`;
  const tokenSha256 = createHash('sha256').update(token).digest('hex');
  return {
    principal,
    team,
    token,
    configSection: { host: '127.0.0.1', port: 0, principals: [{ name: principal, teams: [team], roles: ['read', 'submit', 'cancel'], tokenSha256 }] },
  };
}

/** Starts the API from the demo's config (whose `api:` section came from `demoApiCredentials`); its request log goes to `logPath`. */
export async function startDemoApi(configPath: string, credentials: DemoApiCredentials, logPath: string): Promise<DemoApi> {
  const log = createWriteStream(logPath, { flags: 'w' });
  await once(log, 'open');
  try {
    const running = await startApiFromConfig(configPath, {}, process.env, pino({ name: 'shale-api', level: 'info' }, log));
    return {
      url: running.api.url,
      principal: credentials.principal,
      team: credentials.team,
      token: credentials.token,
      async stop() {
        await running.stop();
        log.end();
      },
    };
  } catch (err) {
    log.end();
    throw err;
  }
}
