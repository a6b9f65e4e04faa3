/**
 * Job ID = workflow ID. With an idempotency key it is derived from team + key, so the same key
 * always names the same job; without one it is generated and sorts by creation time.
 * IDs are lowercase because YARN lowercases application tags, and the attempt name is a tag.
 */
import { fnv1a64 } from './fingerprint';

export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,256}$/;

/**
 * YARN refuses application tags over 100 characters (YarnConfiguration.APPLICATION_MAX_TAG_LENGTH)
 * and the attempt name `J-aN` is a tag: a job ID leaves room for `-a99`.
 */
export const MAX_JOB_ID_LENGTH = 96;

export function jobIdFromKey(team: string, idempotencyKey: string): string {
  const hash = fnv1a64(idempotencyKey).slice(0, 10);
  const room = MAX_JOB_ID_LENGTH - team.length - hash.length - 2;
  const slug = idempotencyKey
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, Math.max(0, Math.min(48, room)));
  return `${team}-${slug ? `${slug}-` : ''}${hash}`;
}

/** `team-<ms base36, fixed width>-<random>`: sorts by creation time within a team. */
export function generatedJobId(team: string, nowMs: number, random: () => number): string {
  const time = nowMs.toString(36).padStart(9, '0');
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += Math.floor(random() * 36).toString(36);
  return `${team}-${time}-${suffix}`;
}

/** Attempt n of job J is `J-aN`: the Livy batch name, the YARN tag and the Spark app name. */
export function attemptName(jobId: string, n: number): string {
  return `${jobId}-a${n}`;
}
