/**
 * Who is calling: a bearer token resolved to a principal (name, teams, roles). Static tokens are
 * compared by their SHA-256 in constant time against every configured principal; a token that is
 * not one of them is tried as a JWT when `api.jwt` is set (jose: signature by the JWKS, issuer,
 * audience, expiry). The token itself is never kept, logged or echoed.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { ApiConfigError, ROLES, type ApiConfig, type JwtConfig, type Role } from './config';

export interface Principal {
  /** Becomes `requestedBy` on what it submits and cancels. */
  name: string;
  /** The teams whose jobs it sees and acts on; '*' is every team. */
  teams: '*' | readonly string[];
  roles: ReadonlySet<Role>;
  via: 'token' | 'jwt';
  rateLimit?: { max: number; windowSeconds: number };
}

/** A request without a usable credential (401): `detail` says what was wrong, never the token. */
export class AuthenticationError extends Error {
  override readonly name = 'AuthenticationError';
}

export interface Authenticator {
  authenticate(authorization: string | undefined): Promise<Principal>;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** Whether the principal may see and act on a team's jobs. */
export function mayActOnTeam(principal: Principal, team: string): boolean {
  return principal.teams === '*' || principal.teams.includes(team);
}

/** admin holds every role. */
export function hasRole(principal: Principal, role: Role): boolean {
  return principal.roles.has(role) || principal.roles.has('admin');
}

function teamsOf(list: readonly string[]): '*' | string[] {
  return list.includes('*') ? '*' : [...new Set(list)];
}

interface StaticEntry {
  hash: Buffer;
  principal: Principal;
}

async function staticEntries(config: ApiConfig, env: NodeJS.ProcessEnv): Promise<StaticEntry[]> {
  return Promise.all(
    config.principals.map(async (p, i): Promise<StaticEntry> => {
      let hash: Buffer;
      const field = `api.principals.${i}`;
      if (p.tokenSha256) hash = Buffer.from(p.tokenSha256, 'hex');
      else if (p.tokenFromEnv) {
        const value = env[p.tokenFromEnv];
        if (!value) throw new ApiConfigError('environment', [{ field: `${field}.tokenFromEnv`, message: `environment variable ${p.tokenFromEnv} is not set` }]);
        hash = sha256(value);
      } else {
        let value: string;
        try {
          value = (await readFile(p.tokenFromFile!, 'utf8')).trim();
        } catch (err) {
          throw new ApiConfigError('config', [{ field: `${field}.tokenFromFile`, message: `cannot read ${p.tokenFromFile}: ${(err as NodeJS.ErrnoException).code ?? 'error'}` }]);
        }
        if (!value) throw new ApiConfigError('config', [{ field: `${field}.tokenFromFile`, message: `${p.tokenFromFile} is empty` }]);
        hash = sha256(value);
      }
      return {
        hash,
        principal: { name: p.name, teams: teamsOf(p.teams), roles: new Set(p.roles), via: 'token', ...(p.rateLimit ? { rateLimit: p.rateLimit } : {}) },
      };
    }),
  );
}

async function jwksOf(jwt: JwtConfig): Promise<JWTVerifyGetKey> {
  if (jwt.jwksUrl) return createRemoteJWKSet(new URL(jwt.jwksUrl));
  let document: unknown;
  try {
    document = JSON.parse(await readFile(jwt.jwksFile!, 'utf8'));
  } catch (err) {
    throw new ApiConfigError('config', [{ field: 'api.jwt.jwksFile', message: `cannot read a JWKS from ${jwt.jwksFile}: ${(err as Error).message}` }]);
  }
  return createLocalJWKSet(document as Parameters<typeof createLocalJWKSet>[0]);
}

/** A claim holding a list: an array of strings, or one string separated by spaces or commas. */
function claimList(payload: JWTPayload, claim: string): string[] {
  const value = payload[claim];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  if (typeof value === 'string') return value.split(/[\s,]+/).filter(Boolean);
  return [];
}

const TEAM = /^([a-z][a-z0-9-]{1,39}|\*)$/;
const NAME = /^[A-Za-z0-9_.@:-]{1,100}$/;

function principalFromClaims(payload: JWTPayload, jwt: JwtConfig): Principal {
  const name = payload[jwt.nameClaim];
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new AuthenticationError(`the token's ${jwt.nameClaim} claim must be a name of letters, digits and _ . @ : - (at most 100)`);
  }
  const teams = claimList(payload, jwt.teamsClaim).filter((t) => TEAM.test(t));
  const roles = claimList(payload, jwt.rolesClaim).filter((r): r is Role => (ROLES as readonly string[]).includes(r));
  return { name, teams: teamsOf(teams), roles: new Set(roles), via: 'jwt', ...(jwt.rateLimit ? { rateLimit: jwt.rateLimit } : {}) };
}

function jwtFailure(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `the token's ${err.claim} claim is not accepted`;
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'the token signature does not verify';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'no key of the configured JWKS matches the token';
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'the token is signed with an algorithm that is not accepted';
  if (err instanceof joseErrors.JOSEError) return `the token is not accepted (${err.code})`;
  return 'the token is not accepted';
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export async function createAuthenticator(config: ApiConfig, env: NodeJS.ProcessEnv = process.env): Promise<Authenticator> {
  const entries = await staticEntries(config, env);
  const jwt = config.jwt;
  const jwks = jwt ? await jwksOf(jwt) : undefined;
  return {
    async authenticate(authorization) {
      if (!authorization) throw new AuthenticationError('no credentials: send Authorization: Bearer <token>');
      const match = /^Bearer +([\x21-\x7e]{1,8192})$/i.exec(authorization.trim());
      if (!match) throw new AuthenticationError('the Authorization header must be "Bearer <token>"');
      const token = match[1]!;
      const hash = sha256(token);
      let found: Principal | undefined;
      // Every entry is compared, so the time taken does not say which (or whether one) matched.
      for (const entry of entries) if (timingSafeEqual(entry.hash, hash) && !found) found = entry.principal;
      if (found) return found;
      if (jwt && jwks && JWT_SHAPE.test(token)) {
        let payload: JWTPayload;
        try {
          ({ payload } = await jwtVerify(token, jwks, {
            issuer: jwt.issuer,
            audience: jwt.audience,
            algorithms: jwt.algorithms,
            clockTolerance: jwt.clockToleranceSeconds,
          }));
        } catch (err) {
          throw new AuthenticationError(jwtFailure(err));
        }
        return principalFromClaims(payload, jwt);
      }
      throw new AuthenticationError('the token is not recognised');
    },
  };
}
