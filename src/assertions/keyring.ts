// Ed25519 signing keys: made on first start, rotated by command, stored with the private
// part encrypted, published (public part only) until every token they signed has expired.
import { generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint, importJWK, type CryptoKey, type JWK } from 'jose';
import { seal, unsealWithAny } from '../shared/secrets.js';
import type { SigningKeyRow, SigningKeysPort } from './ports.js';

export interface PublicJwk extends JWK {
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

export interface ActiveKey {
  kid: string;
  /** A WebCrypto key, not extractable: what jose signs with, without converting it per token. */
  privateKey: CryptoKey;
}

export async function createSigningKey(keyEncryptionKey: Buffer, now: number): Promise<SigningKeyRow> {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const publicJwk = publicKey.export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = privateKey.export({ format: 'jwk' });
  return {
    kid,
    publicJwk: JSON.stringify({ ...publicJwk, kid, alg: 'EdDSA', use: 'sig' }),
    privateJwkEncrypted: seal(keyEncryptionKey, JSON.stringify(privateJwk)),
    createdAt: now,
    retiredAt: null,
  };
}

/**
 * The keys as this process knows them. It reloads from the store now and then, so a
 * `mailcode keys rotate` run beside a live server, or by another process on the same
 * database, takes effect everywhere without a restart.
 */
export class KeyRing {
  private rows: SigningKeyRow[] = [];
  private active: ActiveKey | undefined;
  private loadedAt = -Infinity;
  private refreshing: Promise<void> | undefined;
  /** Where a failed background refresh is reported (the old keys stay in use). */
  onRefreshError: ((error: unknown) => void) | undefined;

  constructor(
    private readonly signingKeys: SigningKeysPort,
    /** Newest first (CODE_SECRET rotation): the first seals, any of them opens. */
    private readonly keyEncryptionKeys: Buffer[],
    private readonly assertionTtlMs: number,
    private readonly now: () => number,
    /** How stale this process's view may be; retired keys stay published that much longer. */
    readonly refreshMs = 30_000,
  ) {}

  /** Loads the keys, making the first one when the database has none. */
  async init(): Promise<void> {
    const rows = await this.signingKeys.list();
    if (rows.length === 0)
      await this.signingKeys.addFirst(await createSigningKey(this.keyEncryptionKeys[0]!, this.now()));
    // After a CODE_SECRET rotation, re-encrypt with the newest secret, so the old secret
    // can be dropped once its codes have expired without losing the signing keys.
    for (const row of rows) {
      const { plaintext, keyIndex } = unsealWithAny(this.keyEncryptionKeys, row.privateJwkEncrypted);
      if (keyIndex > 0) await this.signingKeys.reseal(row.kid, seal(this.keyEncryptionKeys[0]!, plaintext));
    }
    await this.reload();
  }

  async rotate(): Promise<string> {
    const key = await createSigningKey(this.keyEncryptionKeys[0]!, this.now());
    await this.signingKeys.add(key);
    await this.reload();
    return key.kid;
  }

  /** Reads the keys from the store now (every process shares them through the database). */
  private async reload(): Promise<void> {
    const rows = await this.signingKeys.list();
    this.loadedAt = this.now();
    const current = rows.find((r) => r.retiredAt === null);
    if (!current) throw new Error('no active signing key');
    if (this.active?.kid !== current.kid) {
      // Imported once per key, never per request.
      const jwk = JSON.parse(unsealWithAny(this.keyEncryptionKeys, current.privateJwkEncrypted).plaintext) as JWK;
      this.active = {
        kid: current.kid,
        privateKey: (await importJWK(jwk, 'EdDSA', { extractable: false })) as CryptoKey,
      };
    }
    this.rows = rows;
  }

  /**
   * A stale view is refreshed in the background: requests keep using the keys they have
   * (still valid: a retired key signs for at most `refreshMs` more and stays published
   * that much longer) and never wait for the database.
   */
  private fresh(): void {
    if (this.refreshing || this.now() - this.loadedAt < this.refreshMs) return;
    this.refreshing = this.reload()
      .catch((error: unknown) => this.onRefreshError?.(error))
      .finally(() => (this.refreshing = undefined));
  }

  /** Resolves once a refresh started by a request has finished (tests, shutdown). */
  async settled(): Promise<void> {
    await this.refreshing;
  }

  signingKey(): ActiveKey {
    this.fresh();
    return this.active!;
  }

  /** The active key and each retired key whose last token may still be valid. */
  publicKeys(): PublicJwk[] {
    this.fresh();
    const now = this.now();
    const publishedUntil = (r: SigningKeyRow) => (r.retiredAt ?? Infinity) + this.assertionTtlMs + this.refreshMs;
    return this.rows.filter((r) => publishedUntil(r) > now).map((r) => JSON.parse(r.publicJwk) as PublicJwk);
  }

  /** Retired keys older than this are no longer needed by anyone. */
  retiredKeysUnneededBefore(now: number): number {
    return now - this.assertionTtlMs - this.refreshMs;
  }
}
