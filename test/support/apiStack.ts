/**
 * The HTTP API in this process over a test's E2E stack (test/support/stack.ts), with the principals
 * a test names: each gets a fresh random token, configured by its SHA-256 as an operator would.
 * Requests are not logged (pino silent) and the rate limit is out of the way unless a test sets one.
 */
import { createHash, randomBytes } from 'node:crypto';
import pino from 'pino';
import { parseApiConfig, type ApiConfigInput, type Role } from '../../api/config';
import { startApi } from '../../api/server';
import type { E2EStack } from './stack';

export interface TestPrincipal {
  name: string;
  teams: string[];
  roles: Role[];
}

export interface ApiUnderTest {
  url: string;
  /** Each principal's bearer token, by name. */
  tokens: Record<string, string>;
  close(): Promise<void>;
}

export async function startTestApi(stack: E2EStack, principals: readonly TestPrincipal[], overrides: Partial<ApiConfigInput> = {}): Promise<ApiUnderTest> {
  const tokens: Record<string, string> = {};
  for (const p of principals) tokens[p.name] = `shale-test-${randomBytes(24).toString('hex')}`;
  const config = parseApiConfig(
    {
      host: '127.0.0.1',
      port: 0,
      rateLimit: { max: 1_000_000, windowSeconds: 60 },
      principals: principals.map((p) => ({ ...p, tokenSha256: createHash('sha256').update(tokens[p.name]!).digest('hex') })),
      ...overrides,
    },
    'test',
  );
  const api = await startApi({ client: stack.client, config, logger: pino({ level: 'silent' }) });
  return { url: api.url, tokens, close: () => api.close() };
}
