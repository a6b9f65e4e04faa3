/**
 * Per-team policy (worker config `teams.<team>`, `teams['*']` for every team not listed) and the
 * check every spec passes before anything is submitted: the size cap, conf keys against the
 * default deny list and the team's allowed prefixes, sizing overrides, and proxy users. Each
 * refusal names the key and the policy that refused it.
 */
import { z } from 'zod';
import { confKeySchema, proxyUserSchema, SIZE_PRESETS, type JobSpec, type SizePreset, type SizeSettings } from '../../contract';
import { allowsExplicitly, deniedConf, explicitOnlyConf } from './confDenyList';
import { isSizingKey, sizeCapRefusals } from './sizeCaps';

export const teamPolicySchema = z.strictObject({
  /** The largest preset the team may ask for; with overrides, every container must fit it. Unset: the largest preset. */
  maxSize: z.enum(SIZE_PRESETS).optional(),
  /** Whether conf may change sizing (memory, cores, executor counts, resources) within maxSize. */
  allowSizeOverrides: z.boolean().default(false),
  /** When set, every conf key must start with one of these. Unset: any key the deny list allows. */
  allowedConfPrefixes: z.array(confKeySchema).optional(),
  /** The users a spec's proxyUser may name. Empty (the default): no proxyUser at all. */
  allowedProxyUsers: z.array(proxyUserSchema).default([]),
});

/** A team's policy as written in config (defaults not yet filled in). */
export type TeamPolicy = z.input<typeof teamPolicySchema>;

export interface PolicyRefusal {
  /** The spec field refused, e.g. "conf.spark.kerberos.keytab", "proxyUser", "size". */
  field: string;
  message: string;
}

/** Refusals listed in one message at most; the rest are counted. */
const MAX_LISTED_REFUSALS = 20;

/** The team's own policy, else '*', else the defaults (no size overrides, no proxy users). */
function policyFor(team: string, teams: Record<string, TeamPolicy>): { policy: TeamPolicy; path: string } {
  if (Object.hasOwn(teams, team)) return { policy: teams[team]!, path: `teams.${team}` };
  return { policy: Object.hasOwn(teams, '*') ? teams['*']! : {}, path: 'teams.*' };
}

export function policyRefusals(spec: JobSpec, teams: Record<string, TeamPolicy>, sizes: Record<SizePreset, SizeSettings>): PolicyRefusal[] {
  const { policy, path } = policyFor(spec.team, teams);
  const refusals: PolicyRefusal[] = [];
  const team = spec.team;

  const maxSize = policy.maxSize ?? SIZE_PRESETS[SIZE_PRESETS.length - 1]!;
  if (SIZE_PRESETS.indexOf(spec.size) > SIZE_PRESETS.indexOf(maxSize)) {
    refusals.push({ field: 'size', message: `size ${spec.size} is over team ${team}'s cap ${maxSize} (${path}.maxSize)` });
  }

  if (spec.proxyUser !== undefined && !(policy.allowedProxyUsers ?? []).includes(spec.proxyUser)) {
    refusals.push({ field: 'proxyUser', message: `proxyUser ${spec.proxyUser} is not allowed for team ${team} (${path}.allowedProxyUsers)` });
  }

  const prefixes = policy.allowedConfPrefixes;
  const sizingKeys: string[] = [];
  for (const key of Object.keys(spec.conf)) {
    const refusal = confRefusal(key, team, path, prefixes);
    if (refusal) refusals.push({ field: `conf.${key}`, message: refusal });
    else if (isSizingKey(key)) sizingKeys.push(key);
  }

  if (sizingKeys.length > 0 && !policy.allowSizeOverrides) {
    refusals.push({
      field: `conf.${sizingKeys[0]}`,
      message: `conf ${sizingKeys.join(', ')} overrides sizing, which team ${team} may not do (${path}.allowSizeOverrides)`,
    });
  } else if (sizingKeys.length > 0) {
    refusals.push(...sizeCapRefusals({ spec, preset: sizes[spec.size], cap: sizes[maxSize], capPath: `${path}.maxSize ${maxSize}` }));
  }
  return refusals;
}

function confRefusal(key: string, team: string, path: string, prefixes: readonly string[] | undefined): string | undefined {
  const denied = deniedConf(key);
  if (denied) return `conf ${key} is refused by the default deny list (${denied.pattern}: ${denied.why})`;
  const explicit = explicitOnlyConf(key);
  if (explicit && !allowsExplicitly(explicit, key, prefixes ?? [])) {
    return (
      `conf ${key} is refused by the default deny list unless the team allows it explicitly ` +
      `(${explicit.prefix}: ${explicit.why}; list "${explicit.prefix}" or a narrower prefix in ${path}.allowedConfPrefixes)`
    );
  }
  if (prefixes && !prefixes.some((prefix) => key.startsWith(prefix))) {
    return `conf ${key} is outside team ${team}'s allowed conf prefixes (${path}.allowedConfPrefixes)`;
  }
  return undefined;
}

/** One message for the refusals, at most MAX_LISTED_REFUSALS of them listed. */
export function describeRefusals(refusals: readonly PolicyRefusal[]): string {
  const listed = refusals.slice(0, MAX_LISTED_REFUSALS).map((r) => r.message);
  const more = refusals.length - listed.length;
  return more > 0 ? `${listed.join('; ')}; and ${more} more` : listed.join('; ');
}

/**
 * The refusals as one message, or undefined when the spec is within policy. validateJob checks
 * every spec before anything is submitted; submit keeps this call as a defence.
 */
export function policyViolation(spec: JobSpec, teams: Record<string, TeamPolicy>, sizes: Record<SizePreset, SizeSettings>): string | undefined {
  const refusals = policyRefusals(spec, teams, sizes);
  return refusals.length > 0 ? describeRefusals(refusals) : undefined;
}
