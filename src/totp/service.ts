// Authenticator apps (TOTP, RFC 6238) and recovery codes: enrolment with a QR code,
// confirmation, verification with replay protection and lockout, support reset.
// HOTP/TOTP come from `otpauth`, the QR code from `qrcode`; nothing here computes either.
import {
  doneBy,
  type NoticeDeps,
  type NoticeFacts,
  noticeEvents,
  type QueuedNotice,
  queuedNotice,
} from '../people/notices.js';
import { createHmac, randomInt } from 'node:crypto';
import * as OTPAuth from 'otpauth';
import QRCode from 'qrcode';
import type { Logger } from 'pino';
import { maskUserRef } from '../people/model.js';
import { signSecondFactorAssertion, type AssertionOptions, type SecondFactorMethod } from '../assertions/assertion.js';
import { provesFirstFactor } from '../assertions/first-factor.js';
import type { KeyRing } from '../assertions/keyring.js';
import type { Client } from '../clients/model.js';
import { refuse } from './refusals.js';
import { newId } from '../shared/ids.js';
import { seal, unsealWithAny } from '../shared/secrets.js';
import { event, type RequestContext, type EventType, type NewEvent } from '../events/model.js';
import type { TotpFactor } from './model.js';
import type { TotpFactorsPort } from './ports.js';

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
  factors: TotpFactorsPort;
  keys: KeyRing;
  /** Newest first (CODE_SECRET rotation): encrypts the secrets; any of them decrypts. */
  secretKeys: Buffer[];
  /** Keys the recovery-code hashes (newest first; any of them still matches). */
  recoveryKeys: Buffer[];
  maxAttempts: number;
  assertion: AssertionOptions;
  now: () => number;
  logger: Logger;
  /** Telling the person when their authenticator or recovery codes change (people/notices.ts). */
  notices: NoticeDeps;
  /**
   * A sign-in with the app or a recovery code succeeded: the person still has it, so an open
   * recovery by email ends (recovery/). Awaited: a sign-in that could not cancel one fails.
   */
  signedIn?(client: Client, userRef: string, context: RequestContext): Promise<void>;
  /** The person's authenticator was removed (a reset): what stood in for it ends (trusted browsers). */
  factorsChanged?(client: Client, userRef: string, context: RequestContext): Promise<void>;
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

export class TotpService {
  constructor(private readonly deps: TotpServiceDeps) {}

  /** An event about the user's authenticator, subject the portal's user reference. */
  private event(
    type: EventType,
    factor: Pick<TotpFactor, 'clientId' | 'userRef'>,
    context: RequestContext,
    data: Record<string, unknown> = {},
  ): NewEvent {
    return event(type, this.deps.now(), { clientId: factor.clientId, subject: factor.userRef }, context, data);
  }

  /** The factor's TOTP, and whether its secret was sealed under an older CODE_SECRET. */
  private open(factor: Pick<TotpFactor, 'secretEncrypted'>) {
    const { plaintext: base32, keyIndex } = unsealWithAny(this.deps.secretKeys, factor.secretEncrypted);
    return {
      totp: new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(base32), ...totpParameters }),
      base32,
      sealedUnderOldKey: keyIndex > 0,
    };
  }

  async enroll(client: Client, input: { userRef: string; accountName: string }) {
    const { factors, now: clock } = this.deps;
    if (await factors.active(client.id, input.userRef)) throw refuse({ kind: 'totp_already_enabled' });
    const secret = new OTPAuth.Secret({ size: 20 }); // 160 bits, RFC 4226's recommendation
    const totp = new OTPAuth.TOTP({ issuer: client.name, label: input.accountName, secret, ...totpParameters });
    const otpauthUri = totp.toString();
    const now = clock();
    const enrollmentId = newId('te');
    await factors.create({
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
      expiresAt: now + enrollmentTtlMs,
    };
  }

  /** `userRef`, when given, must be the enrolment's (the console confirms an operator's own enrolment only). */
  async confirm(client: Client, enrollmentId: string, code: string, context: RequestContext, userRef?: string) {
    const { factors, now } = this.deps;
    const factor = await factors.get(enrollmentId, client.id);
    if (
      factor?.status !== 'pending' ||
      factor.expiresAt <= now() ||
      (userRef !== undefined && factor.userRef !== userRef)
    )
      throw refuse({ kind: 'enrollment_not_found' });
    const attempts = await factors.countEnrollmentAttempt({
      id: factor.id,
      now: now(),
      maxAttempts: this.deps.maxAttempts,
    });
    await this.checkCode(factor, attempts, code, [], context);
    const recoveryCodes = this.newRecoveryCodes();
    const enabled = this.event('authenticator.enabled', factor, context, { recoveryCodes: recoveryCodes.length });
    const notice = await this.notice(client, factor.userRef, { kind: 'authenticator_added' });
    if (
      !(await factors.activate(
        factor.id,
        now(),
        recoveryCodes.map((c) => hashRecoveryCode(this.deps.recoveryKeys[0]!, c)),
        [enabled, ...noticeEvents(notice, context)],
        notice,
      ))
    ) {
      throw refuse({ kind: 'enrollment_not_found' });
    }
    this.queued(notice);
    this.deps.logger.info(
      { client: client.id, userRef: maskUserRef(factor.userRef), outcome: 'totp_enabled' },
      'authenticator app enabled',
    );
    return { enabled: true as const, recoveryCodes };
  }

  /**
   * Two round trips: the attempt is counted as the factor is read, then the step is accepted.
   * `firstFactor`: the person's email assertion of this sign-in, checked before any attempt
   * counts — the assertion then says two factors.
   */
  async verify(
    client: Client,
    input: { userRef: string; code: string; firstFactor?: string },
    context: RequestContext,
  ) {
    const factors = await this.factorsShown(client, input);
    const { factor, attempts, recoveryOpen } = await this.countAttempt(client, input.userRef);
    await this.checkCode(
      factor,
      attempts,
      input.code,
      [this.event('authenticator.used', factor, context, { method: 'totp' })],
      context,
    );
    if (recoveryOpen) await this.deps.signedIn?.(client, factor.userRef, context);
    return this.assert(client, factor, 'totp', factors);
  }

  /** 2 when the request carries the person's email assertion and it holds; refused when it does not. */
  private async factorsShown(client: Client, input: { userRef: string; firstFactor?: string }): Promise<1 | 2> {
    if (input.firstFactor === undefined) return 1;
    const proves = await provesFirstFactor(this.deps.keys, input.firstFactor, {
      issuer: this.deps.assertion.issuer,
      clientId: client.id,
      userRef: input.userRef,
      nowMs: this.deps.now(),
    });
    if (!proves) throw refuse({ kind: 'first_factor_refused' });
    return 2;
  }

  async recover(
    client: Client,
    input: { userRef: string; recoveryCode: string; firstFactor?: string },
    context: RequestContext,
  ) {
    const shown = await this.factorsShown(client, input);
    const { factors, now } = this.deps;
    const { factor, attempts, recoveryOpen } = await this.countAttempt(client, input.userRef);
    // The hash under each key of the rotation list: a code issued before a CODE_SECRET rotation still works.
    const hashes = this.deps.recoveryKeys.map((key) => hashRecoveryCode(key, input.recoveryCode));
    // How many are left once this one is used, for the notice (read before: a lost race only misstates it by one).
    const left = Math.max(0, (await factors.recoveryCodesLeft(factor.id)) - 1);
    const notice = await this.notice(client, factor.userRef, { kind: 'recovery_code_used', left });
    if (
      await factors.useRecoveryCode(
        factor.id,
        hashes,
        now(),
        [this.event('recovery_codes.used', factor, context), ...noticeEvents(notice, context)],
        notice,
      )
    ) {
      this.queued(notice);
      this.deps.logger.info(
        { client: client.id, userRef: maskUserRef(factor.userRef), outcome: 'recovery_code_used' },
        'recovery code used',
      );
      if (recoveryOpen) await this.deps.signedIn?.(client, factor.userRef, context);
      return this.assert(client, factor, 'recovery_code', shown);
    }
    return this.wrong(factor, attempts, context);
  }

  async status(client: Client, userRef: string) {
    const factor = await this.deps.factors.active(client.id, userRef);
    return {
      userRef,
      enabled: factor !== undefined,
      // The client's policy: a portal opens no account of this client without an app.
      required: client.secondFactor === 'required',
      enabledSince: factor?.confirmedAt ?? null,
      recoveryCodesLeft: factor ? await this.deps.factors.recoveryCodesLeft(factor.id) : 0,
    };
  }

  /** Every client's authenticator of a person, by user reference or account name (support's lookup); no secret. */
  async factorsOf(person: string) {
    const now = this.deps.now();
    const factors = await this.deps.factors.activeFor(person);
    return Promise.all(
      factors.map(async (f) => ({
        clientId: f.clientId,
        userRef: f.userRef,
        accountName: f.accountName,
        enabledSince: f.confirmedAt,
        lockedUntil: f.lockedUntil !== null && f.lockedUntil > now ? f.lockedUntil : null,
        recoveryCodesLeft: await this.deps.factors.recoveryCodesLeft(f.id),
      })),
    );
  }

  /** Support's reset when a phone is lost: the factor and its recovery codes are gone. */
  async reset(client: Client, userRef: string, context: RequestContext) {
    const notice = await this.removalNotice(client, userRef, context);
    const removed = await this.deps.factors.removeAll(
      client.id,
      userRef,
      [this.event('authenticator.reset', { clientId: client.id, userRef }, context), ...noticeEvents(notice, context)],
      notice,
    );
    if (removed === 0) throw refuse({ kind: 'totp_not_enabled' });
    this.queued(notice);
    await this.deps.factorsChanged?.(client, userRef, context);
    (context.log ?? this.deps.logger).warn(
      { client: client.id, userRef: maskUserRef(userRef), ip: context.ip, outcome: 'totp_reset' },
      `authenticator app reset by the ${context.actor}`,
    );
  }

  /**
   * "Your authenticator app was removed", to the address the person proved last — when they
   * have an app to remove and an address proven: support's reset (a lost phone) or the portal's.
   */
  private async removalNotice(client: Client, userRef: string, context: RequestContext) {
    if (!(await this.deps.factors.active(client.id, userRef))) return undefined;
    return this.notice(client, userRef, { kind: 'authenticator_removed', removedBy: doneBy(context.actor) });
  }

  private notice(client: Client, userRef: string, facts: NoticeFacts) {
    return queuedNotice(this.deps.notices, client, userRef, facts, this.deps.now());
  }

  /** A notice was written with the change: the mail worker need not wait for its next pass. */
  private queued(notice: QueuedNotice | undefined) {
    if (notice) this.deps.notices.onQueued?.();
  }

  async regenerateRecoveryCodes(client: Client, userRef: string, context: RequestContext) {
    const factor = await this.activeFactor(client, userRef);
    const recoveryCodes = this.newRecoveryCodes();
    const regenerated = this.event('recovery_codes.regenerated', factor, context, {
      recoveryCodes: recoveryCodes.length,
    });
    const notice = await this.notice(client, userRef, { kind: 'recovery_codes_renewed', by: doneBy(context.actor) });
    await this.deps.factors.replaceRecoveryCodes(
      factor.id,
      recoveryCodes.map((c) => hashRecoveryCode(this.deps.recoveryKeys[0]!, c)),
      [regenerated, ...noticeEvents(notice, context)],
      notice,
    );
    this.queued(notice);
    this.deps.logger.info(
      { client: client.id, userRef: maskUserRef(userRef), outcome: 'recovery_codes_regenerated' },
      'recovery codes regenerated',
    );
    return { recoveryCodes };
  }

  private newRecoveryCodes(): string[] {
    return Array.from({ length: recoveryCodeCount }, newRecoveryCode);
  }

  private async activeFactor(client: Client, userRef: string): Promise<TotpFactor> {
    const factor = await this.deps.factors.active(client.id, userRef);
    if (!factor) throw refuse({ kind: 'totp_not_enabled' });
    return factor;
  }

  /** Counted before the compare, so no guess is ever free; a locked factor is refused until its lock ends. */
  private async countAttempt(
    client: Client,
    userRef: string,
  ): Promise<{ factor: TotpFactor; attempts: number; recoveryOpen: boolean }> {
    const now = this.deps.now();
    const { factor, attempts, recoveryOpen } = await this.deps.factors.countAttempt({
      clientId: client.id,
      userRef,
      now,
      maxAttempts: this.deps.maxAttempts,
    });
    if (!factor) throw refuse({ kind: 'totp_not_enabled' });
    if (attempts === undefined) throw this.locked(factor, now);
    return { factor, attempts, recoveryOpen };
  }

  private locked(factor: TotpFactor, now: number) {
    return refuse({ kind: 'too_many_attempts', retryAfterMs: (factor.lockedUntil ?? now + totpLockMs) - now });
  }

  /**
   * A code of the current step, the one before or the one after; a step at or before the
   * last accepted one is a replay and fails like a wrong code.
   */
  private async checkCode(
    factor: TotpFactor,
    attempts: number | undefined,
    code: string,
    onAccepted: NewEvent[],
    context: RequestContext,
  ): Promise<void> {
    const now = this.deps.now();
    if (attempts === undefined) throw this.locked(factor, now);
    const { totp, base32, sealedUnderOldKey } = this.open(factor);
    const delta = totp.validate({ token: code, timestamp: now, window });
    // After a CODE_SECRET rotation each factor moves to the newest key on its next use (in
    // the same write), so the old secret can be dropped once every active user has logged in.
    const resealed = sealedUnderOldKey ? seal(this.deps.secretKeys[0]!, base32) : undefined;
    if (
      delta !== null &&
      (await this.deps.factors.acceptStep(factor.id, Math.floor(now / stepMs) + delta, onAccepted, resealed))
    )
      return;
    await this.wrong(factor, attempts, context);
  }

  private async wrong(factor: TotpFactor, attempts: number, context: RequestContext): Promise<never> {
    if (attempts >= this.deps.maxAttempts) {
      const until = this.deps.now() + totpLockMs;
      // A pending enrolment locks too, but only an enabled authenticator's lock is news to the portal.
      await this.deps.factors.lock(
        factor.id,
        until,
        factor.status === 'active' ? [this.event('authenticator.locked', factor, context, { until })] : [],
      );
    }
    throw refuse({ kind: 'invalid_code', attemptsRemaining: Math.max(0, this.deps.maxAttempts - attempts) });
  }

  private async assert(client: Client, factor: TotpFactor, method: SecondFactorMethod, factors: 1 | 2) {
    const { token, expiresAt } = await signSecondFactorAssertion(
      this.deps.keys,
      { clientId: client.id, userRef: factor.userRef, method, factors },
      this.deps.assertion,
      this.deps.now(),
    );
    return { verified: true as const, method, assertion: token, expiresAt };
  }
}
