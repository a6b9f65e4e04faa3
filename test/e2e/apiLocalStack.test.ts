/**
 * dev/stack/localStack.ts, as the Airflow provider's tests and the API checks use it: one JSON line
 * when ready, tokens that work as their roles say, a job that runs on a simulated cluster, and
 * nothing left running once its stdin closes.
 */
import { spawn, execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { callApi } from './apiHarness';
import { onOwnServer } from '../support/stack';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Ready {
  apiUrl: string;
  temporalAddress: string;
  motoEndpoint: string;
  team: string;
  otherTeam: string;
  tokens: Record<'admin' | 'submitter' | 'reader' | 'other', string>;
  simulators: { url: string; clusterId: string; sparkVersion: string }[];
}

function running(pattern: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.includes(pattern) && !line.includes('ps -eo'));
}

describe(onOwnServer('the local stack', 'dev/stack/localStack.ts starts its dev server and must stop it'), () => {
  it('prints one ready line, serves the API with its tokens, and stops everything when stdin closes', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'dev/stack/localStack.ts', '--team', 'analytics'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const lines = createInterface({ input: child.stdout! });
      const first = await new Promise<string>((resolve, reject) => {
        lines.once('line', resolve);
        void exited.then((code) => reject(new Error(`the stack exited (${code}) before its ready line: ${stderr}`)));
      });
      const ready = JSON.parse(first) as Ready;
      expect(Object.keys(ready.tokens).sort()).toEqual(['admin', 'other', 'reader', 'submitter']);
      expect(ready.simulators.map((s) => s.sparkVersion).sort()).toEqual(['2', '3']);
      expect(ready.simulators.every((s) => /^j-/.test(s.clusterId))).toBe(true);

      const as = (who: keyof Ready['tokens'], method: string, path: string, body?: unknown) =>
        fetch(`${ready.apiUrl}${path}`, {
          method,
          headers: { authorization: `Bearer ${ready.tokens[who]}`, ...(body ? { 'content-type': 'application/json' } : {}) },
          body: body ? JSON.stringify(body) : undefined,
        });
      const spec = { name: 'local-stack', team: 'analytics', kind: 'pyspark', file: 's3://b/app.py', route: { sparkVersion: '3' }, conf: { 'shale.sim.durationMs': '300' } };
      const submitted = await as('submitter', 'POST', '/v1/jobs', spec);
      expect(submitted.status).toBe(201);
      const { jobId } = (await submitted.json()) as { jobId: string };
      const ended = (await (await as('reader', 'GET', `/v1/jobs/${jobId}/wait?timeout=60`)).json()) as { state: string; attempts: { cluster: string }[] };
      expect(ended.state).toBe('SUCCEEDED');
      expect(ended.attempts[0]!.cluster).toBe(ready.simulators.find((s) => s.sparkVersion === '3')!.clusterId);
      expect((await as('reader', 'POST', '/v1/jobs', spec)).status).toBe(403);
      expect((await as('other', 'GET', `/v1/jobs/${jobId}`)).status).toBe(404);
      expect((await as('admin', 'GET', `/v1/jobs/${jobId}`)).status).toBe(200);
      expect((await callApi(ready.apiUrl, 'nobody', 'GET', '/readyz')).body).toEqual({ status: 'ok' });

      child.stdin!.end();
      expect(await exited).toBe(0);
      const port = ready.temporalAddress.split(':')[1]!;
      expect(running(`--port ${port}`)).toEqual([]);
      expect(running(`-p ${ready.motoEndpoint.split(':').at(-1)}`)).toEqual([]);
      await expect(fetch(`${ready.apiUrl}/healthz`)).rejects.toThrow();
    } finally {
      if (child.exitCode === null) child.kill('SIGTERM');
    }
  });
});
