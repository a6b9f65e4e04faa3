/** Who is calling: static tokens (hash, env, file) and JWTs (jose, a local JWKS file), teams and roles. */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiConfigError, parseApiConfig, type ApiConfigInput } from '../../api/config';
import { AuthenticationError, createAuthenticator, hasRole, mayActOnTeam } from '../../api/principals';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
let dir: string;
let signingKey: CryptoKey;
let strangerKey: CryptoKey;
let jwksFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shale-api-principals-'));
  const pair = await generateKeyPair('ES256');
  signingKey = pair.privateKey;
  strangerKey = (await generateKeyPair('ES256')).privateKey;
  jwksFile = join(dir, 'jwks.json');
  await writeFile(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] }));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function config(input: ApiConfigInput) {
  return parseApiConfig(input, 'test');
}

describe('api config', () => {
  it('wants exactly one token source per principal, and unique names', () => {
    expect(() => config({ principals: [{ name: 'a', teams: ['t1'], roles: ['read'] }] })).toThrow(/exactly one of tokenSha256, tokenFromEnv, tokenFromFile/);
    expect(() => config({ principals: [{ name: 'a', teams: ['t1'], roles: ['read'], tokenSha256: sha('x'), tokenFromEnv: 'X' }] })).toThrow(ApiConfigError);
    const twice = { name: 'a', teams: ['t1'], roles: ['read' as const], tokenSha256: sha('x') };
    expect(() => config({ principals: [twice, twice] })).toThrow(/principal a appears twice/);
  });

  it('names the field of a bad value and refuses unknown keys', () => {
    expect(() => config({ principals: [{ name: 'a', teams: ['Bad Team'], roles: ['read'], tokenSha256: sha('x') }] })).toThrow(/api\.principals\.0\.teams\.0/);
    expect(() => config({ principals: [{ name: 'a', teams: ['t1'], roles: ['root' as 'read'], tokenSha256: sha('x') }] })).toThrow(/api\.principals\.0\.roles\.0/);
    expect(() => config({ bogus: 1 } as ApiConfigInput)).toThrow(/bogus/);
  });

  it('defaults: loopback, 1 MiB bodies, 600 requests a minute per principal, metrics open', () => {
    expect(config({})).toMatchObject({ host: '127.0.0.1', bodyLimitBytes: 1048576, rateLimit: { max: 600, windowSeconds: 60 }, metricsRequireToken: false });
  });
});

describe('static tokens', () => {
  it('resolves a token by its sha256, from the environment or from a file; anything else is refused', async () => {
    const file = join(dir, 'token');
    await writeFile(file, '  file-secret\n');
    const auth = await createAuthenticator(
      config({
        principals: [
          { name: 'hashed', teams: ['t1'], roles: ['read'], tokenSha256: sha('hash-secret') },
          { name: 'from-env', teams: ['t2', 't3'], roles: ['submit'], tokenFromEnv: 'SHALE_TEST_TOKEN' },
          { name: 'from-file', teams: ['*'], roles: ['admin'], tokenFromFile: file },
        ],
      }),
      { SHALE_TEST_TOKEN: 'env-secret' },
    );
    expect(await auth.authenticate('Bearer hash-secret')).toMatchObject({ name: 'hashed', teams: ['t1'], via: 'token' });
    expect(await auth.authenticate('bearer env-secret')).toMatchObject({ name: 'from-env', teams: ['t2', 't3'] });
    expect(await auth.authenticate('Bearer file-secret')).toMatchObject({ name: 'from-file', teams: '*' });
    await expect(auth.authenticate(undefined)).rejects.toThrow(/no credentials/);
    await expect(auth.authenticate('Basic abc')).rejects.toThrow(/Bearer <token>/);
    await expect(auth.authenticate('Bearer hash-secreT')).rejects.toThrow(AuthenticationError);
  });

  it('never puts the token in an error', async () => {
    const auth = await createAuthenticator(config({ principals: [{ name: 'a', teams: ['t1'], roles: ['read'], tokenSha256: sha('right') }] }));
    const error = await auth.authenticate('Bearer wrong-and-secret').catch((e: Error) => e);
    expect(String((error as Error).message)).not.toContain('wrong-and-secret');
  });

  it('refuses to start when a token variable is unset or a token file is missing', async () => {
    await expect(createAuthenticator(config({ principals: [{ name: 'a', teams: ['t1'], roles: ['read'], tokenFromEnv: 'NOPE' }] }), {})).rejects.toThrow(
      /api\.principals\.0\.tokenFromEnv: environment variable NOPE is not set/,
    );
    await expect(
      createAuthenticator(config({ principals: [{ name: 'a', teams: ['t1'], roles: ['read'], tokenFromFile: join(dir, 'missing') }] }), {}),
    ).rejects.toThrow(/tokenFromFile: cannot read/);
  });
});

describe('JWTs', () => {
  const jwtConfig = () => config({ jwt: { issuer: 'https://idp.test', audience: 'shale', jwksFile } });
  const sign = (claims: Record<string, unknown>, key = signingKey, options: { audience?: string; expiresIn?: string } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer('https://idp.test')
      .setAudience(options.audience ?? 'shale')
      .setIssuedAt()
      .setExpirationTime(options.expiresIn ?? '5m')
      .sign(key);

  it('takes name, teams and roles from the claims of a token the JWKS signed', async () => {
    const auth = await createAuthenticator(jwtConfig());
    const token = await sign({ sub: 'airflow-prod', shale_teams: ['analytics', 'BAD TEAM'], shale_roles: 'read submit root' });
    const principal = await auth.authenticate(`Bearer ${token}`);
    expect(principal).toMatchObject({ name: 'airflow-prod', teams: ['analytics'], via: 'jwt' });
    expect([...principal.roles]).toEqual(['read', 'submit']);
  });

  it('refuses another key, another audience, an expired token, a token without a name', async () => {
    const auth = await createAuthenticator(jwtConfig());
    await expect(auth.authenticate(`Bearer ${await sign({ sub: 'x' }, strangerKey)}`)).rejects.toThrow(/signature does not verify/);
    await expect(auth.authenticate(`Bearer ${await sign({ sub: 'x' }, signingKey, { audience: 'other' })}`)).rejects.toThrow(/aud claim/);
    const expired = await new SignJWT({ sub: 'x' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer('https://idp.test')
      .setAudience('shale')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(signingKey);
    await expect(auth.authenticate(`Bearer ${expired}`)).rejects.toThrow(/expired/);
    await expect(auth.authenticate(`Bearer ${await sign({ shale_teams: ['t1'] })}`)).rejects.toThrow(/sub claim/);
  });
});

describe('authorization', () => {
  it('admin holds every role; a team list or * decides which jobs a principal sees', () => {
    const admin = { name: 'a', teams: '*' as const, roles: new Set(['admin' as const]), via: 'token' as const };
    const reader = { name: 'r', teams: ['t1'], roles: new Set(['read' as const]), via: 'token' as const };
    expect(hasRole(admin, 'cancel')).toBe(true);
    expect(hasRole(reader, 'read')).toBe(true);
    expect(hasRole(reader, 'submit')).toBe(false);
    expect(mayActOnTeam(admin, 'anything')).toBe(true);
    expect(mayActOnTeam(reader, 't1')).toBe(true);
    expect(mayActOnTeam(reader, 't2')).toBe(false);
  });
});
