/**
 * The HTTP API's settings: the `api:` section of Shale's YAML config (deploy/shale.yaml documents
 * every key). Checked with zod when the API starts: an unknown key or a bad value stops it with the
 * field's name. No secret is ever in the file: a static token is stored as its SHA-256, or read from
 * an environment variable or a file named here.
 */
import { z } from 'zod';

export const ROLES = ['read', 'submit', 'cancel', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const teamName = z.string().regex(/^([a-z][a-z0-9-]{1,39}|\*)$/, 'a team name (2-40 lowercase letters, digits or -) or * for every team');

const rateLimit = z.strictObject({
  /** Requests a principal may make per window (each principal has its own budget). */
  max: z.number().int().positive(),
  windowSeconds: z.number().int().positive().default(60),
});

const staticPrincipal = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9_.@:-]{1,100}$/, 'letters, digits and _ . @ : - (it becomes requestedBy)'),
    teams: z.array(teamName).min(1),
    roles: z.array(z.enum(ROLES)).min(1),
    /** Hex SHA-256 of the token: the file holds no secret. */
    tokenSha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits (sha256 of the token)').optional(),
    /** The environment variable holding the token. */
    tokenFromEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional(),
    /** A file holding the token (e.g. a mounted secret); surrounding whitespace is ignored. */
    tokenFromFile: z.string().min(1).optional(),
    rateLimit: rateLimit.optional(),
  })
  .refine((p) => [p.tokenSha256, p.tokenFromEnv, p.tokenFromFile].filter((v) => v !== undefined).length === 1, {
    message: 'exactly one of tokenSha256, tokenFromEnv, tokenFromFile',
  });

const jwtSettings = z
  .strictObject({
    issuer: z.string().min(1),
    audience: z.string().min(1),
    /** A JWKS document on disk, or a URL serving one (fetched and cached by jose). */
    jwksFile: z.string().min(1).optional(),
    jwksUrl: z.url().optional(),
    /** The claim naming the principal (it becomes requestedBy). */
    nameClaim: z.string().min(1).default('sub'),
    /** The claim listing the principal's teams (an array, or a space/comma separated string; "*" for every team). */
    teamsClaim: z.string().min(1).default('shale_teams'),
    /** The claim listing its roles (read, submit, cancel, admin); others are ignored. */
    rolesClaim: z.string().min(1).default('shale_roles'),
    algorithms: z.array(z.string()).min(1).default(['RS256', 'ES256', 'EdDSA']),
    clockToleranceSeconds: z.number().int().nonnegative().default(30),
    rateLimit: rateLimit.optional(),
  })
  .refine((j) => (j.jwksFile === undefined) !== (j.jwksUrl === undefined), { message: 'exactly one of jwksFile, jwksUrl' });

export const apiConfigSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(8080),
  /** HTTPS: PEM files. Leave out for plain HTTP (e.g. behind a TLS-terminating proxy). */
  tls: z.strictObject({ certFile: z.string().min(1), keyFile: z.string().min(1) }).optional(),
  /** Largest request body accepted (413 above it); a job spec has its own, smaller cap. */
  bodyLimitBytes: z.number().int().positive().default(1024 * 1024),
  /** Default per-principal rate limit; a principal's own `rateLimit` overrides it. */
  rateLimit: rateLimit.default({ max: 600, windowSeconds: 60 }),
  /**
   * Requests without a valid token (none, or a wrong one) an address may make per window; past it, the
   * address is answered 429 until the window ends, a right token included, so tokens cannot be guessed quickly.
   */
  unauthenticatedRateLimit: rateLimit.default({ max: 30, windowSeconds: 60 }),
  /**
   * Which proxies' X-Forwarded-For to believe (fastify's trustProxy: true for any, or their addresses/CIDRs).
   * Behind a load balancer, set it: otherwise every caller has the balancer's address, and one token guesser's
   * unauthenticatedRateLimit would lock everyone out.
   */
  trustProxy: z.union([z.boolean(), z.array(z.string().min(1)).min(1)]).default(false),
  /** Whether /metrics needs a bearer token (any valid principal). Default: open, for Prometheus scrapers inside the network. */
  metricsRequireToken: z.boolean().default(false),
  /** Longest `wait` long poll a caller may ask for, seconds. */
  maxWaitSeconds: z.number().int().positive().max(3600).default(300),
  principals: z.array(staticPrincipal).default([]),
  jwt: jwtSettings.optional(),
});

export type ApiConfigInput = z.input<typeof apiConfigSchema>;
export type ApiConfig = z.output<typeof apiConfigSchema>;
export type StaticPrincipalConfig = ApiConfig['principals'][number];
export type JwtConfig = NonNullable<ApiConfig['jwt']>;

export class ApiConfigError extends Error {
  override readonly name = 'ApiConfigError';
  constructor(
    readonly source: string,
    readonly errors: { field: string; message: string }[],
  ) {
    super(`invalid API config (${source}): ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`);
  }
}

export function parseApiConfig(raw: unknown, source = 'config'): ApiConfig {
  const result = apiConfigSchema.safeParse(raw ?? {});
  if (!result.success) {
    throw new ApiConfigError(
      source,
      result.error.issues.map((i) => ({ field: ['api', ...i.path.map(String)].join('.'), message: i.message })),
    );
  }
  const names = result.data.principals.map((p) => p.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new ApiConfigError(source, [{ field: 'api.principals', message: `principal ${dup} appears twice` }]);
  return result.data;
}
