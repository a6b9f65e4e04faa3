/**
 * The Livy credential the workers are configured with (SHALE_LIVY_AUTH), and a scan for it in every
 * text a scenario produced: as is, and base64-encoded at each of the three byte alignments
 * (payloads in a history's JSON are base64), minus the characters that depend on the bytes around it.
 */
import { randomUUID } from 'node:crypto';
import { secretHitsIn, secretNeedles } from '../../../test/support/secretScan';

export const SECRET_ENV = 'SHALE_LIVY_AUTH';
const TOKEN = `chaos-s3cr3t-${randomUUID()}`;
export const SECRET_VALUE = `Bearer ${TOKEN}`;

const NEEDLES = secretNeedles(TOKEN);

/** Which encodings of the secret a text holds (named, so a report never prints the secret). */
export function secretHits(text: string): string[] {
  return secretHitsIn(NEEDLES, text);
}

/** The scan must be able to find what it looks for, or zero hits means nothing. */
export function scannerFindsTheSecret(): boolean {
  const embedded = ['', 'x', 'xy', '{"headers":{"authorization":"'].every(
    (prefix) => secretHits(Buffer.from(`${prefix}${SECRET_VALUE}"}}`).toString('base64')).length > 0,
  );
  return embedded && secretHits(`authorization: ${SECRET_VALUE}`).length > 0 && secretHits(SECRET_VALUE.slice(0, -1)).length === 0;
}


export interface ScanSurface {
  /** e.g. "history chaos-…", "worker log chaos-kills-w1", "cli status". */
  label: string;
  text: string;
}

/** One line per surface and encoding the secret was found in. */
export function scanForSecret(surfaces: readonly ScanSurface[]): string[] {
  return surfaces.flatMap((s) => secretHits(s.text).map((how) => `${s.label} (${how})`));
}
