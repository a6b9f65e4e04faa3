/**
 * The API e2e harness: the e2e stack (dev server, simulators, worker) plus the HTTP API in process,
 * with four principals: an admin of every team, a submitter and a reader of team e2e, and a
 * submitter of another team. `call` sends a request as one of them and parses the answer.
 */
import { createHash } from 'node:crypto';
import { pino } from 'pino';
import { parseApiConfig, type ApiConfigInput } from '../../api/config';
import { startApi, type RunningApi } from '../../api/server';
import { startStack, type E2EStack } from '../support/stack';

export const TOKENS = {
  admin: 'admin-token-0123456789',
  submitter: 'submitter-token-0123456789',
  reader: 'reader-token-0123456789',
  other: 'other-team-token-0123456789',
} as const;
export type Who = keyof typeof TOKENS | 'nobody' | 'bad';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

export function principalsConfig(extra: Partial<ApiConfigInput> = {}): ApiConfigInput {
  return {
    port: 0,
    principals: [
      { name: 'admin', teams: ['*'], roles: ['admin'], tokenSha256: sha(TOKENS.admin) },
      { name: 'e2e-submitter', teams: ['e2e'], roles: ['read', 'submit', 'cancel'], tokenSha256: sha(TOKENS.submitter) },
      { name: 'e2e-reader', teams: ['e2e'], roles: ['read'], tokenSha256: sha(TOKENS.reader) },
      { name: 'other-submitter', teams: ['other'], roles: ['read', 'submit', 'cancel'], tokenSha256: sha(TOKENS.other) },
    ],
    ...extra,
  };
}

export interface ApiAnswer<T = any> {
  status: number;
  contentType: string;
  body: T;
  headers: Headers;
}

export interface ApiHarness {
  stack: E2EStack;
  api: RunningApi;
  call<T = any>(who: Who, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiAnswer<T>>;
  teardown(): Promise<void>;
}

export async function startApiHarness(prefix: string, extra: Partial<ApiConfigInput> = {}): Promise<ApiHarness> {
  const stack = await startStack(prefix);
  const api = await startApi({ client: stack.client, config: parseApiConfig(principalsConfig(extra)), logger: pino({ level: 'silent' }), host: '127.0.0.1' });
  return {
    stack,
    api,
    call: (who, method, path, body, headers) => callApi(api.url, who, method, path, body, headers),
    async teardown() {
      await api.close();
      await stack.teardown();
    },
  };
}

export async function callApi<T = any>(
  url: string,
  who: Who,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiAnswer<T>> {
  const auth: Record<string, string> = who === 'nobody' ? {} : { authorization: `Bearer ${who === 'bad' ? 'not-a-known-token' : TOKENS[who]}` };
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { ...auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const contentType = response.headers.get('content-type') ?? '';
  const text = await response.text();
  return { status: response.status, contentType, body: contentType.includes('json') && text ? JSON.parse(text) : text, headers: response.headers };
}
