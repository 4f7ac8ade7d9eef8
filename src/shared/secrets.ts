// Keys derived from CODE_SECRET, one per purpose, so one secret in the environment
// protects codes, outbox payloads and signing keys without reusing a key for two jobs.
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

export function deriveKey(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'mailcode', purpose, 32));
}

/** One key per secret for a purpose, newest first (see codeSecrets in config.ts). */
export function deriveKeys(secrets: readonly string[], purpose: string): Buffer[] {
  return secrets.map((secret) => deriveKey(secret, purpose));
}

/** Opens with whichever key sealed it; throws when none did. */
export function unsealWithAny(keys: readonly Buffer[], sealed: string): { plaintext: string; keyIndex: number } {
  for (const [keyIndex, key] of keys.entries()) {
    try {
      return { plaintext: unseal(key, sealed), keyIndex };
    } catch {
      // not this key; try the next (older) one
    }
  }
  throw new Error('sealed with an unknown key (was CODE_SECRET changed without keeping the old one?)');
}

/** AES-256-GCM; the output is `v1.<iv>.<tag>.<ciphertext>` in base64url. */
export function seal(key: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join(
    '.',
  );
}

export function unseal(key: Buffer, sealed: string): string {
  const [version, iv, tag, body] = sealed.split('.');
  if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('unsupported sealed payload');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}

/** API keys carry 256 bits of entropy, so a fast unsalted hash is enough to store them. */
export function hashApiKey(apiKey: string): string {
  return createHash('sha256').update(apiKey).digest('hex');
}

export function newApiKey(): string {
  return `mc_${randomBytes(32).toString('base64url')}`;
}
