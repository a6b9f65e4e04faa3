import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseWorkerConfig, temporalConnectionOptions } from '../../worker/config';

describe('Temporal connection options from worker config', () => {
  it('connects in plain text to a local server by default', async () => {
    expect(await temporalConnectionOptions(parseWorkerConfig({}), {})).toEqual({ address: '127.0.0.1:7233' });
  });

  it('takes a Temporal Cloud API key from the named environment variable, with TLS', async () => {
    const config = parseWorkerConfig({ temporal: { address: 'ns.acct.tmprl.cloud:7233', namespace: 'ns.acct', apiKeyFromEnv: 'TEMPORAL_API_KEY' } });
    expect(await temporalConnectionOptions(config, { TEMPORAL_API_KEY: 'key-123' })).toEqual({
      address: 'ns.acct.tmprl.cloud:7233',
      tls: true,
      apiKey: 'key-123',
    });
  });

  it('says which variable is missing, without any value', async () => {
    const config = parseWorkerConfig({ temporal: { apiKeyFromEnv: 'TEMPORAL_API_KEY' } });
    const attempt = temporalConnectionOptions(config, {});
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(/temporal\.apiKeyFromEnv: environment variable TEMPORAL_API_KEY is not set/);
  });

  it('reads a private CA and an mTLS client pair from files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shale-tls-'));
    await Promise.all([writeFile(join(dir, 'ca.pem'), 'CA'), writeFile(join(dir, 'c.pem'), 'CRT'), writeFile(join(dir, 'c.key'), 'KEY')]);
    const config = parseWorkerConfig({
      temporal: { tls: { serverRootCaFile: join(dir, 'ca.pem'), clientCertFile: join(dir, 'c.pem'), clientKeyFile: join(dir, 'c.key'), serverNameOverride: 'temporal.internal' } },
    });
    const options = await temporalConnectionOptions(config, {});
    expect(options).toMatchObject({ tls: { serverNameOverride: 'temporal.internal' } });
    const tls = options.tls as { serverRootCACertificate: Buffer; clientCertPair: { crt: Buffer; key: Buffer } };
    expect(tls.serverRootCACertificate.toString()).toBe('CA');
    expect([tls.clientCertPair.crt.toString(), tls.clientCertPair.key.toString()]).toEqual(['CRT', 'KEY']);
  });

  it('refuses a client certificate without its key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shale-tls-'));
    await writeFile(join(dir, 'c.pem'), 'CRT');
    const config = parseWorkerConfig({ temporal: { tls: { clientCertFile: join(dir, 'c.pem') } } });
    await expect(temporalConnectionOptions(config, {})).rejects.toThrow(/clientCertFile and clientKeyFile go together/);
  });

  it("takes Temporal's own variables and profiles when the file names no address (the CLI and client read the same)", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shale-profile-'));
    const toml = join(dir, 'temporal.toml');
    await writeFile(toml, ['[profile.cloud]', 'address = "ns.acct.tmprl.cloud:7233"', 'namespace = "ns.acct"', 'api_key = "key-from-profile"'].join('\n'));
    const env = { TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'cloud' };
    const config = parseWorkerConfig({}, env);
    expect(config.temporal).toEqual({ address: 'ns.acct.tmprl.cloud:7233', namespace: 'ns.acct', taskQueue: 'shale' });
    expect(await temporalConnectionOptions(config, env)).toEqual({ address: 'ns.acct.tmprl.cloud:7233', tls: true, apiKey: 'key-from-profile' });
    expect(parseWorkerConfig({}, { TEMPORAL_ADDRESS: 'env:7233', TEMPORAL_NAMESPACE: 'etl' }).temporal).toMatchObject({ address: 'env:7233', namespace: 'etl' });
  });

  it('lets the file beat TEMPORAL_ADDRESS, and SHALE_TEMPORAL_ADDRESS beat the file', () => {
    expect(parseWorkerConfig({ temporal: { address: 'file:7233' } }, { TEMPORAL_ADDRESS: 'env:7233' }).temporal.address).toBe('file:7233');
    expect(parseWorkerConfig({ temporal: { address: 'file:7233' } }, { TEMPORAL_ADDRESS: 'env:7233', SHALE_TEMPORAL_ADDRESS: 'shale:7233' }).temporal.address).toBe('shale:7233');
  });

  it('refuses a Temporal profile that does not exist, as a config error naming it', () => {
    expect(() => parseWorkerConfig({}, { TEMPORAL_PROFILE: 'nope', TEMPORAL_CONFIG_FILE: '/nonexistent.toml' })).toThrow(ConfigError);
    expect(() => parseWorkerConfig({}, { TEMPORAL_CONFIG_FILE: '/nonexistent.toml' })).toThrow(/temporal: Temporal config file \/nonexistent\.toml/);
  });
});
