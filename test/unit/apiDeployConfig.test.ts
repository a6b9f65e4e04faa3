/** deploy/shale.yaml's api: section is what the API accepts, and the worker still reads the same file. */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseApiConfig } from '../../api/config';
import { parseWorkerConfig } from '../../worker/config';

const raw = parseYaml(readFileSync(new URL('../../deploy/shale.yaml', import.meta.url), 'utf8')) as Record<string, unknown>;

describe('deploy/shale.yaml api section', () => {
  it('parses with the documented principals, each with one token source and no secret in the file', () => {
    const config = parseApiConfig(raw.api, 'deploy/shale.yaml');
    expect(config.principals.map((p) => [p.name, p.tokenFromEnv ?? p.tokenFromFile ?? 'sha256'])).toEqual([
      ['airflow-analytics', 'SHALE_API_TOKEN_AIRFLOW'],
      ['oncall', '/etc/shale/secrets/oncall-token'],
      ['dashboards', 'sha256'],
    ]);
    expect(config).toMatchObject({ port: 8080, bodyLimitBytes: 1048576, rateLimit: { max: 600, windowSeconds: 60 } });
  });

  it('leaves the worker able to read the same file', () => {
    expect(() => parseWorkerConfig(raw, {}, 'deploy/shale.yaml')).not.toThrow();
  });
});
