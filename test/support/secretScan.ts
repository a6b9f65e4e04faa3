/**
 * Finding a secret wherever it could have been written: as is, and base64-encoded at each of the
 * three byte alignments (payloads in a history's JSON are base64), minus the characters that depend
 * on the bytes around it. Used by the secrets e2e test and the chaos suite's scan.
 */
export interface SecretNeedle {
  label: string;
  text: string;
}

export function secretNeedles(secret: string): SecretNeedle[] {
  const found = [{ label: 'plain', text: secret }];
  const bytes = Buffer.from(secret);
  for (let pad = 0; pad < 3; pad++) {
    const encoded = Buffer.concat([Buffer.alloc(pad), bytes]).toString('base64');
    const firstClean = pad === 0 ? 0 : 1;
    const lastClean = Math.floor((pad + bytes.length) / 3);
    found.push({ label: `base64+${pad}`, text: encoded.slice(firstClean * 4, lastClean * 4) });
  }
  return found;
}

/** Which encodings of the secret a text holds (named, so a report never prints the secret). */
export function secretHitsIn(needles: readonly SecretNeedle[], text: string): string[] {
  return needles.filter((needle) => text.includes(needle.text)).map((needle) => needle.label);
}

/** Every base64 payload in a history's JSON, decoded: a second look, beside the encoded needles. */
export function decodedPayloads(json: unknown, out: string[] = []): string[] {
  if (Array.isArray(json)) json.forEach((v) => decodedPayloads(v, out));
  else if (json && typeof json === 'object') {
    for (const [key, value] of Object.entries(json)) {
      if (key === 'data' && typeof value === 'string') out.push(Buffer.from(value, 'base64').toString('utf8'));
      else decodedPayloads(value, out);
    }
  }
  return out;
}
