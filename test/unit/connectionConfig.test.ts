import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConnectionConfigError, connectionOptions, describeConnection, isUnavailableError, loadTemporalConnection } from '../../client/connectionConfig';

async function tomlFile(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'shale-envconfig-'));
  const path = join(dir, 'temporal.toml');
  await writeFile(path, text);
  return path;
}

describe('loadTemporalConnection: Temporal connection settings', () => {
  it('defaults to a local plain-text server on namespace default', () => {
    expect(loadTemporalConnection({}, {})).toEqual({ address: '127.0.0.1:7233', namespace: 'default', addressFrom: 'the default' });
  });

  it("takes Temporal's environment variables", () => {
    const settings = loadTemporalConnection({}, { TEMPORAL_ADDRESS: 'temporal.internal:7233', TEMPORAL_NAMESPACE: 'etl' });
    expect(settings).toEqual({ address: 'temporal.internal:7233', namespace: 'etl', addressFrom: 'TEMPORAL_ADDRESS' });
  });

  it("lets Shale's own variables beat Temporal's, and explicit settings beat both", () => {
    const env = { TEMPORAL_ADDRESS: 'generic:7233', SHALE_TEMPORAL_ADDRESS: 'shale:7233', TEMPORAL_NAMESPACE: 'a', SHALE_TEMPORAL_NAMESPACE: 'b' };
    expect(loadTemporalConnection({}, env)).toMatchObject({ address: 'shale:7233', namespace: 'b', addressFrom: 'SHALE_TEMPORAL_ADDRESS' });
    expect(loadTemporalConnection({ address: 'flag:1', namespace: 'c', origin: '--address' }, env)).toMatchObject({
      address: 'flag:1',
      namespace: 'c',
      addressFrom: '--address',
    });
  });

  it('reads a TOML profile named by TEMPORAL_PROFILE from TEMPORAL_CONFIG_FILE, with TLS and an API key', async () => {
    const file = await tomlFile(
      ['[profile.default]', 'address = "local:7233"', '', '[profile.cloud]', 'address = "ns.acct.tmprl.cloud:7233"', 'namespace = "ns.acct"', 'api_key = "key-123"'].join('\n'),
    );
    const settings = loadTemporalConnection({}, { TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cloud' });
    expect(settings).toEqual({
      address: 'ns.acct.tmprl.cloud:7233',
      namespace: 'ns.acct',
      apiKey: 'key-123',
      tls: true,
      addressFrom: `profile cloud of ${file}`,
    });
    expect(connectionOptions(settings)).toEqual({ address: 'ns.acct.tmprl.cloud:7233', apiKey: 'key-123', tls: true });
    // The default profile when none is named; an explicit profile beats TEMPORAL_PROFILE.
    expect(loadTemporalConnection({}, { TEMPORAL_CONFIG_FILE: file }).address).toBe('local:7233');
    expect(loadTemporalConnection({ profile: 'default' }, { TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cloud' }).address).toBe('local:7233');
  });

  it("reads a profile's mTLS files: CA, client certificate and key, server name", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shale-mtls-'));
    await Promise.all([writeFile(join(dir, 'ca.pem'), 'CA'), writeFile(join(dir, 'c.pem'), 'CRT'), writeFile(join(dir, 'c.key'), 'KEY')]);
    const file = await tomlFile(
      [
        '[profile.default]',
        'address = "temporal.internal:7233"',
        '[profile.default.tls]',
        `server_ca_cert_path = "${join(dir, 'ca.pem')}"`,
        `client_cert_path = "${join(dir, 'c.pem')}"`,
        `client_key_path = "${join(dir, 'c.key')}"`,
        'server_name = "temporal.internal"',
      ].join('\n'),
    );
    const settings = loadTemporalConnection({}, { TEMPORAL_CONFIG_FILE: file });
    const tls = settings.tls as { serverNameOverride: string; serverRootCACertificate: Buffer; clientCertPair: { crt: Buffer; key: Buffer } };
    expect(tls.serverNameOverride).toBe('temporal.internal');
    expect(tls.serverRootCACertificate.toString()).toBe('CA');
    expect([tls.clientCertPair.crt.toString(), tls.clientCertPair.key.toString()]).toEqual(['CRT', 'KEY']);
    expect(describeConnection(settings)).toContain('mTLS');
  });

  it('TEMPORAL_TLS and TEMPORAL_API_KEY from the environment; TLS can be turned off explicitly', () => {
    expect(loadTemporalConnection({}, { TEMPORAL_API_KEY: 'k' })).toMatchObject({ apiKey: 'k', tls: true });
    expect(loadTemporalConnection({}, { TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'false' }).tls).toBe(false);
    expect(loadTemporalConnection({}, { TEMPORAL_TLS: 'true' }).tls).toEqual({});
    expect(loadTemporalConnection({ tls: false }, { TEMPORAL_TLS: 'true' }).tls).toBe(false);
  });

  it('refuses a config file or profile that does not exist, naming it', async () => {
    expect(() => loadTemporalConnection({}, { TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml' })).toThrow(ConnectionConfigError);
    expect(() => loadTemporalConnection({}, { TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml' })).toThrow(/\/nonexistent\/temporal\.toml/);
    const file = await tomlFile('[profile.default]\naddress = "x:1"\n');
    expect(() => loadTemporalConnection({ profile: 'prod' }, { TEMPORAL_CONFIG_FILE: file })).toThrow(/profile prod .*not found/);
  });

  it('never prints the API key', () => {
    const text = describeConnection(loadTemporalConnection({}, { TEMPORAL_ADDRESS: 'a:1', TEMPORAL_API_KEY: 'very-secret-key' }));
    expect(text).toBe('a:1 (from TEMPORAL_ADDRESS), namespace default, TLS, API key');
    expect(text).not.toContain('very-secret-key');
  });
});

describe('isUnavailableError', () => {
  it("tells an unreached server from an answer and from Shale's own errors", () => {
    const grpc = Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14 });
    expect(isUnavailableError(grpc)).toBe(true);
    expect(isUnavailableError(new Error('Failed to connect before the deadline'))).toBe(true);
    const serviceError = Object.assign(new Error('unexpected error'), { name: 'ServiceError', cause: grpc });
    expect(isUnavailableError(serviceError)).toBe(true);
    expect(isUnavailableError(Object.assign(new Error('5 NOT_FOUND: namespace x not found'), { code: 5 }))).toBe(false);
    const named = Object.assign(new Error('the cancel was not confirmed (14 UNAVAILABLE)'), { name: 'CancelNotConfirmedError' });
    expect(isUnavailableError(named)).toBe(false);
  });
});
