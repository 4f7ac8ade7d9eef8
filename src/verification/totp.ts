// Authenticator apps (TOTP, RFC 6238) and recovery codes: enrolment with a QR code,
// confirmation, verification with replay protection and lockout, support reset.
// HOTP/TOTP come from `otpauth`, the QR code from `qrcode`; nothing here computes either.
import { createHmac, randomInt } from 'node:crypto';
import * as OTPAuth from 'otpauth';
import QRCode from 'qrcode';
import type { Logger } from 'pino';
import { signSecondFactorAssertion, type AssertionOptions, type SecondFactorMethod } from '../assertions/assertion.js';
import type { KeyRing } from '../assertions/keyring.js';
import { problems } from '../errors.js';
import { newId } from '../ids.js';
import { seal, unsealWithAny } from '../secrets.js';
import type { Client, TotpFactor, TotpStore } from '../store/types.js';

/** What every authenticator app understands: SHA-1, six digits, 30-second steps. */
export const totpParameters = { algorithm: 'SHA1', digits: 6, period: 30 } as const;
const stepMs = totpParameters.period * 1000;
/** The step before and after the current one are accepted too (clock drift, typing time). */
const window = 1;
export const enrollmentTtlMs = 10 * 60_000;
/** After MAX_ATTEMPTS wrong codes in a row, the factor refuses codes for this long. */
export const totpLockMs = 15 * 60_000;
export const recoveryCodeCount = 10;
const recoveryAlphabet = 'abcdefghjkmnpqrstuvwxyz23456789'; // no 0/o, 1/l/i: read aloud and typed by people

export interface TotpServiceDeps {
  store: TotpStore;
  keys: KeyRing;
  /** Newest first (CODE_SECRET rotation): encrypts the secrets; any of them decrypts. */
  secretKeys: Buffer[];
  /** Keys the recovery-code hashes (newest first; any of them still matches). */
  recoveryKeys: Buffer[];
  maxAttempts: number;
  assertion: AssertionOptions;
  now: () => number;
  logger: Logger;
}

/** A recovery code as people see it: ten letters and digits in two groups, e.g. "k7mp2-xq9vd". */
function newRecoveryCode(): string {
  const chars = Array.from({ length: 10 }, () => recoveryAlphabet[randomInt(recoveryAlphabet.length)]);
  return `${chars.slice(0, 5).join('')}-${chars.slice(5).join('')}`;
}

/** Case, spaces and the dash do not matter when a person types a recovery code back. */
function normalizeRecoveryCode(input: string): string {
  return input.toLowerCase().replace(/[\s-]/g, '');
}

function hashRecoveryCode(key: Buffer, code: string): string {
  return createHmac('sha256', key).update(normalizeRecoveryCode(code)).digest('base64url');
}

/** A portal's user reference shown in logs without the whole of it. */
const maskRef = (userRef: string) => (userRef.length <= 4 ? '***' : `${userRef.slice(0, 2)}***${userRef.slice(-2)}`);

export class TotpService {
  constructor(private readonly deps: TotpServiceDeps) {}

  /** The factor's TOTP, and whether its secret was sealed under an older CODE_SECRET. */
  private open(factor: Pick<TotpFactor, 'secretEncrypted'>) {
    const { plaintext: base32, keyIndex } = unsealWithAny(this.deps.secretKeys, factor.secretEncrypted);
    return { totp: new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(base32), ...totpParameters }), base32, sealedUnderOldKey: keyIndex > 0 };
  }

  async enroll(client: Client, input: { userRef: string; accountName: string }) {
    const { store, now: clock } = this.deps;
    if (await store.activeFactor(client.id, input.userRef)) throw problems.totpAlreadyEnabled();
    const secret = new OTPAuth.Secret({ size: 20 }); // 160 bits, RFC 4226's recommendation
    const totp = new OTPAuth.TOTP({ issuer: client.name, label: input.accountName, secret, ...totpParameters });
    const otpauthUri = totp.toString();
    const now = clock();
    const enrollmentId = newId('te');
    await store.createFactor({
      id: enrollmentId,
      clientId: client.id,
      userRef: input.userRef,
      accountName: input.accountName,
      secretEncrypted: seal(this.deps.secretKeys[0]!, secret.base32),
      createdAt: now,
      expiresAt: now + enrollmentTtlMs,
    });
    return {
      enrollmentId,
      secret: secret.base32,
      otpauthUri,
      qrSvg: await QRCode.toString(otpauthUri, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 }),
      expiresAt: new Date(now + enrollmentTtlMs).toISOString(),
    };
  }

  async confirm(client: Client, enrollmentId: string, code: string) {
    const { store, now } = this.deps;
    const factor = await store.getFactor(enrollmentId, client.id);
    if (!factor || factor.status !== 'pending' || factor.expiresAt <= now()) throw problems.enrollmentNotFound();
    await this.checkCode(factor, code);
    const recoveryCodes = this.newRecoveryCodes();
    if (!(await store.activate(factor.id, now(), recoveryCodes.map((c) => hashRecoveryCode(this.deps.recoveryKeys[0]!, c))))) {
      throw problems.enrollmentNotFound();
    }
    this.deps.logger.info({ client: client.id, userRef: maskRef(factor.userRef), outcome: 'totp_enabled' }, 'authenticator app enabled');
    return { enabled: true as const, recoveryCodes };
  }

  async verify(client: Client, input: { userRef: string; code: string }) {
    const factor = await this.activeFactor(client, input.userRef);
    await this.checkCode(factor, input.code);
    return this.assert(client, factor, 'totp');
  }

  async recover(client: Client, input: { userRef: string; recoveryCode: string }) {
    const { store, now } = this.deps;
    const factor = await this.activeFactor(client, input.userRef);
    const attempts = await this.countAttempt(factor);
    // Each key of the rotation list is tried: a code issued before a CODE_SECRET rotation still works.
    for (const key of this.deps.recoveryKeys) {
      if (await store.useRecoveryCode(factor.id, hashRecoveryCode(key, input.recoveryCode), now())) {
        this.deps.logger.info({ client: client.id, userRef: maskRef(factor.userRef), outcome: 'recovery_code_used' }, 'recovery code used');
        return this.assert(client, factor, 'recovery_code');
      }
    }
    return this.wrong(factor, attempts);
  }

  async status(client: Client, userRef: string) {
    const factor = await this.deps.store.activeFactor(client.id, userRef);
    return {
      userRef,
      enabled: factor !== undefined,
      enabledSince: factor?.confirmedAt ? new Date(factor.confirmedAt).toISOString() : null,
      recoveryCodesLeft: factor ? await this.deps.store.recoveryCodesLeft(factor.id) : 0,
    };
  }

  /** Support's reset when a phone is lost: the factor and its recovery codes are gone. */
  async reset(client: Client, userRef: string, audit: { reqId?: string; ip?: string }) {
    const removed = await this.deps.store.removeFactors(client.id, userRef);
    if (removed === 0) throw problems.totpNotEnabled();
    this.deps.logger.warn({ ...audit, client: client.id, userRef: maskRef(userRef), outcome: 'totp_reset' }, 'authenticator app reset by the portal');
  }

  async regenerateRecoveryCodes(client: Client, userRef: string) {
    const factor = await this.activeFactor(client, userRef);
    const recoveryCodes = this.newRecoveryCodes();
    await this.deps.store.replaceRecoveryCodes(factor.id, recoveryCodes.map((c) => hashRecoveryCode(this.deps.recoveryKeys[0]!, c)));
    this.deps.logger.info({ client: client.id, userRef: maskRef(userRef), outcome: 'recovery_codes_regenerated' }, 'recovery codes regenerated');
    return { recoveryCodes };
  }

  private newRecoveryCodes(): string[] {
    return Array.from({ length: recoveryCodeCount }, newRecoveryCode);
  }

  private async activeFactor(client: Client, userRef: string): Promise<TotpFactor> {
    const factor = await this.deps.store.activeFactor(client.id, userRef);
    if (!factor) throw problems.totpNotEnabled();
    return factor;
  }

  /** Counted before the compare, so no guess is ever free; a locked factor answers 429. */
  private async countAttempt(factor: TotpFactor): Promise<number> {
    const attempts = await this.deps.store.countAttempt(factor.id, this.deps.now(), this.deps.maxAttempts);
    if (attempts === undefined) {
      const until = factor.lockedUntil ?? this.deps.now() + totpLockMs;
      throw problems.totpLocked((until - this.deps.now()) / 1000);
    }
    return attempts;
  }

  /**
   * A code of the current step, the one before or the one after; a step at or before the
   * last accepted one is a replay and fails like a wrong code.
   */
  private async checkCode(factor: TotpFactor, code: string): Promise<void> {
    const attempts = await this.countAttempt(factor);
    const now = this.deps.now();
    const { totp, base32, sealedUnderOldKey } = this.open(factor);
    const delta = totp.validate({ token: code, timestamp: now, window });
    if (delta !== null && (await this.deps.store.acceptStep(factor.id, Math.floor(now / stepMs) + delta))) {
      // After a CODE_SECRET rotation each factor moves to the newest key on its next use,
      // so the old secret can be dropped once every active user has logged in.
      if (sealedUnderOldKey) await this.deps.store.resealSecret(factor.id, seal(this.deps.secretKeys[0]!, base32));
      return;
    }
    await this.wrong(factor, attempts);
  }

  private async wrong(factor: TotpFactor, attempts: number): Promise<never> {
    if (attempts >= this.deps.maxAttempts) await this.deps.store.lock(factor.id, this.deps.now() + totpLockMs);
    throw problems.invalidCode(Math.max(0, this.deps.maxAttempts - attempts));
  }

  private async assert(client: Client, factor: TotpFactor, method: SecondFactorMethod) {
    const { token, expiresAt } = await signSecondFactorAssertion(this.deps.keys, { clientId: client.id, userRef: factor.userRef, method }, this.deps.assertion, this.deps.now());
    return { verified: true as const, method, assertion: token, expiresAt };
  }
}
