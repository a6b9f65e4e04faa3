/**
 * Where Temporal is and how to reach it, the same way in the CLI, ShaleClient, the worker and the
 * HTTP API, following Temporal's own conventions (@temporalio/envconfig): a TOML profile
 * (TEMPORAL_CONFIG_FILE, else ~/.config/temporalio/temporal.toml; TEMPORAL_PROFILE, else
 * "default"), then TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS* and
 * TEMPORAL_GRPC_META_* from the environment. Shale's own SHALE_TEMPORAL_ADDRESS and
 * SHALE_TEMPORAL_NAMESPACE beat those, and an explicit setting (a CLI flag, shale.yaml) beats
 * everything.
 *
 * The API key and gRPC metadata are secrets: describeConnection() is what may be printed.
 */
import { existsSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import { loadClientConfigProfile, toClientOptions, type ClientConfigProfile } from '@temporalio/envconfig';

export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';
export const DEFAULT_TEMPORAL_NAMESPACE = 'default';

/** Settings given explicitly (flags, a config file of Shale's); each one left out comes from the profile/environment. */
export interface TemporalConnectionOverrides {
  address?: string;
  namespace?: string;
  /** A profile of the TOML file (default: TEMPORAL_PROFILE, else "default"). */
  profile?: string;
  /** The TOML file (default: TEMPORAL_CONFIG_FILE, else Temporal's per-user file). */
  configFile?: string;
  /** Replaces the profile's TLS settings: false for plain text, true for system CAs, or a CA / mTLS pair. */
  tls?: boolean | TLSConfig;
  apiKey?: string;
  /** What the overrides are called in messages (e.g. "--address", "shale.yaml"). */
  origin?: string;
}

export interface TemporalConnectionSettings {
  address: string;
  namespace: string;
  tls?: boolean | TLSConfig;
  apiKey?: string;
  /** gRPC headers from the profile (grpc_meta) or TEMPORAL_GRPC_META_*. */
  metadata?: Record<string, string>;
  /** Where the address came from, for error messages ("TEMPORAL_ADDRESS", "profile prod of /x.toml", …). */
  addressFrom: string;
}

/** A setting that cannot be used (missing config file or profile, unreadable TOML or certificate): a usage error. */
export class ConnectionConfigError extends Error {
  override readonly name = 'ConnectionConfigError';
}

/** Temporal did not answer at the address tried; the message names it (never the API key). */
export class TemporalUnavailableError extends Error {
  override readonly name = 'TemporalUnavailableError';
  constructor(
    readonly address: string,
    readonly addressFrom: string,
    cause: unknown,
  ) {
    super(`cannot reach Temporal at ${address} (address from ${addressFrom}): ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/**
 * Whether an error means Temporal was not reached (no answer), as opposed to an answer from it or
 * one of Shale's own errors (which keep their meaning, e.g. CancelNotConfirmedError's request id).
 */
export function isUnavailableError(err: unknown): boolean {
  if (!(err instanceof Error) || !['Error', 'ServiceError', 'TransportError'].includes(err.name)) return false;
  const code = (err as { code?: unknown }).code ?? (err.cause as { code?: unknown } | undefined)?.code;
  if (code === 14) return true; // gRPC UNAVAILABLE
  const text = `${err.message} ${err.cause instanceof Error ? err.cause.message : ''}`;
  return /\b(UNAVAILABLE|ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ECONNRESET)\b|Failed to connect before the deadline|tcp connect error|Connection dropped/.test(text);
}

function definedEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function toBuffer(data: Buffer | Uint8Array | undefined): Buffer | undefined {
  return data === undefined ? undefined : Buffer.from(data);
}

/**
 * Resolves the connection settings: explicit overrides, then SHALE_TEMPORAL_*, then Temporal's
 * environment variables and TOML profile, then 127.0.0.1:7233 / default. Synchronous (reads files
 * with readFileSync) so a config parser can call it too.
 */
export function loadTemporalConnection(overrides: TemporalConnectionOverrides = {}, env: NodeJS.ProcessEnv = process.env): TemporalConnectionSettings {
  const vars = definedEnv(env);
  const configFile = nonEmpty(overrides.configFile) ?? nonEmpty(vars.TEMPORAL_CONFIG_FILE);
  // envconfig treats a missing file as "no profiles"; a file someone named must exist.
  if (configFile && !existsSync(configFile)) {
    throw new ConnectionConfigError(`Temporal config file ${configFile} (${overrides.configFile ? 'given' : 'TEMPORAL_CONFIG_FILE'}) does not exist`);
  }
  const profileName = nonEmpty(overrides.profile) ?? nonEmpty(vars.TEMPORAL_PROFILE);
  let profile: ClientConfigProfile;
  try {
    profile = loadClientConfigProfile({
      profile: profileName,
      configSource: configFile ? { path: configFile } : undefined,
      overrideEnvVars: vars,
    });
  } catch (err) {
    const where = configFile ?? "Temporal's default config file";
    throw new ConnectionConfigError(`cannot use Temporal profile ${profileName ?? 'default'} from ${where}: ${(err as Error).message}`);
  }
  // envconfig merged TEMPORAL_* over the file's profile; say which one the address came from.
  const profileLabel = `profile ${profileName ?? 'default'}${configFile ? ` of ${configFile}` : ''}`;
  const explicit = overrides.origin ?? 'an explicit setting';
  const [address, addressFrom] = nonEmpty(overrides.address)
    ? [overrides.address!, explicit]
    : nonEmpty(vars.SHALE_TEMPORAL_ADDRESS)
      ? [vars.SHALE_TEMPORAL_ADDRESS!, 'SHALE_TEMPORAL_ADDRESS']
      : nonEmpty(vars.TEMPORAL_ADDRESS)
        ? [vars.TEMPORAL_ADDRESS!, 'TEMPORAL_ADDRESS']
        : profile.address
          ? [profile.address, profileLabel]
          : [DEFAULT_TEMPORAL_ADDRESS, 'the default'];
  const namespace =
    nonEmpty(overrides.namespace) ?? nonEmpty(vars.SHALE_TEMPORAL_NAMESPACE) ?? nonEmpty(profile.namespace) ?? DEFAULT_TEMPORAL_NAMESPACE;
  const apiKey = nonEmpty(overrides.apiKey) ?? nonEmpty(profile.apiKey);

  let tls: boolean | TLSConfig | undefined;
  if (overrides.tls !== undefined) tls = overrides.tls;
  else {
    let fromProfile: ReturnType<typeof toClientOptions>['connectionOptions']['tls'];
    try {
      // Reads the profile's certificate files; its own API-key rule (a key turns TLS on) is applied below.
      fromProfile = toClientOptions({ ...profile, apiKey: undefined }).connectionOptions.tls;
    } catch (err) {
      throw new ConnectionConfigError(`cannot read the TLS files of Temporal ${profileLabel}: ${(err as Error).message}`);
    }
    if (typeof fromProfile === 'object' && fromProfile !== null) {
      tls = {
        ...(fromProfile.serverNameOverride ? { serverNameOverride: fromProfile.serverNameOverride } : {}),
        ...(fromProfile.serverRootCACertificate ? { serverRootCACertificate: toBuffer(fromProfile.serverRootCACertificate) } : {}),
        ...(fromProfile.clientCertPair
          ? { clientCertPair: { crt: toBuffer(fromProfile.clientCertPair.crt)!, key: toBuffer(fromProfile.clientCertPair.key)! } }
          : {}),
      };
    } else if (typeof fromProfile === 'boolean') tls = fromProfile;
  }
  // Temporal's rule: an API key means TLS unless TLS was turned off explicitly.
  if (tls === undefined && apiKey !== undefined) tls = true;

  return {
    address,
    namespace,
    addressFrom,
    ...(tls !== undefined ? { tls } : {}),
    ...(apiKey !== undefined ? { apiKey } : {}),
    ...(profile.grpcMeta && Object.keys(profile.grpcMeta).length ? { metadata: profile.grpcMeta } : {}),
  };
}

/** The options Connection.connect / NativeConnection.connect take. */
export function connectionOptions(settings: TemporalConnectionSettings): {
  address: string;
  tls?: boolean | TLSConfig;
  apiKey?: string;
  metadata?: Record<string, string>;
} {
  return {
    address: settings.address,
    ...(settings.tls !== undefined ? { tls: settings.tls } : {}),
    ...(settings.apiKey !== undefined ? { apiKey: settings.apiKey } : {}),
    ...(settings.metadata ? { metadata: settings.metadata } : {}),
  };
}

/** A printable one-liner: address, namespace, whether TLS/mTLS/an API key are used (never their values). */
export function describeConnection(settings: TemporalConnectionSettings): string {
  const tls = settings.tls === undefined || settings.tls === false ? 'plain text' : typeof settings.tls === 'object' && settings.tls.clientCertPair ? 'mTLS' : 'TLS';
  return `${settings.address} (from ${settings.addressFrom}), namespace ${settings.namespace}, ${tls}${settings.apiKey ? ', API key' : ''}`;
}
