// The verification rules, with no HTTP in sight: routes call these and map the outcome.
import type { Logger } from 'pino';
import { signAssertion } from '../assertions/assertion.js';
import type { KeyRing } from '../assertions/keyring.js';
import type { Config } from '../config.js';
import { problems } from '../errors.js';
import { newId } from '../ids.js';
import type { CodeMail } from '../mail/payload.js';
import { resolveLocale } from '../mail/render.js';
import { seal } from '../secrets.js';
import type { Client, Purpose, SendLimitName, SendLimits, Store, Verification, VerificationTarget } from '../store/types.js';
import { endUserIpKey } from './end-user-ip.js';
import { codeMatchesAny, generateCode, hashCode } from './codes.js';
import { checkDomain } from './domain-policy.js';
import { maskEmail, normalizeEmail } from './email-address.js';

export const codeLength = 6;

export interface ServiceDeps {
  store: Store;
  config: Config;
  keys: KeyRing;
  /** Newest first: the first hashes and seals, all of them verify and open. */
  codeKeys: Buffer[];
  outboxKeys: Buffer[];
  now: () => number;
  logger: Logger;
  onMailQueued?: () => void;
  events?: {
    sent?(): void;
    verified?(): void;
    failed?(): void;
    locked?(): void;
    limited?(limit: string): void;
  };
}

export interface SendCodeInput {
  email: string;
  purpose?: Purpose;
  locale?: string;
  endUserIp?: string;
}

/** Who is asking, for the audit log: the person's IP when the portal passes it, else the portal's. */
export interface RequestContext {
  endUserIp?: string;
  portalIp: string;
  /** The request's logger, so audit lines carry the request id. */
  log?: Pick<Logger, 'info' | 'warn'>;
}

export type VerificationState = 'pending' | 'verified' | 'expired' | 'locked' | 'canceled';

export function publicStatus(v: Verification, now: number): VerificationState {
  return v.status === 'pending' && now >= v.expiresAt ? 'expired' : v.status;
}

export function sendLimits(config: Config): SendLimits {
  return {
    codeTtlMs: config.CODE_TTL_SECONDS * 1000,
    cooldownMs: config.RESEND_COOLDOWN_SECONDS * 1000,
    maxAttempts: config.MAX_ATTEMPTS,
    perEmailHour: config.SENDS_PER_EMAIL_HOUR,
    perEmailDay: config.SENDS_PER_EMAIL_DAY,
    perIpHour: config.SENDS_PER_IP_HOUR,
    perDomainHour: config.DOMAIN_MAILS_PER_HOUR,
    globalPerMinute: config.GLOBAL_MAILS_PER_MINUTE,
    wrongCodesPerEmailHour: config.WRONG_CODES_PER_EMAIL_HOUR,
    codesKept: 3,
  };
}

const limitDetail: Record<SendLimitName, string> = {
  cooldown: 'A code was sent to this address moments ago; wait before asking for another.',
  email_hour: 'Too many codes were sent to this address in the last hour.',
  email_day: 'Too many codes were sent to this address today.',
  ip_hour: 'Too many codes were requested from this end-user IP in the last hour.',
  domain_hour: 'Too many codes were sent to this mail domain in the last hour.',
  global_minute: 'The service is sending as many mails as it may right now; try again shortly.',
  guessing: 'Too many wrong codes were entered for this address in the last hour; sends to it are paused.',
};

export class VerificationService {
  private readonly limits: SendLimits;
  private readonly assertionOptions: { issuer: string; ttlSeconds: number };
  private readonly decoy: Verification;

  constructor(private readonly deps: ServiceDeps) {
    this.limits = sendLimits(deps.config);
    this.assertionOptions = { issuer: deps.config.PUBLIC_URL, ttlSeconds: deps.config.ASSERTION_TTL_SECONDS };
    this.decoy = {
      id: 'vf_decoy0000000000000000',
      clientId: 'cl_decoy0000',
      email: 'decoy@decoy.invalid',
      purpose: 'login',
      locale: 'en',
      status: 'verified',
      attempts: 1,
      maxAttempts: deps.config.MAX_ATTEMPTS,
      sendCount: 1,
      createdAt: 0,
      lastSentAt: 0,
      expiresAt: 0,
      verifiedAt: 0,
    };
  }

  async sendCode(client: Client, input: SendCodeInput, context?: RequestContext) {
    const { store, config, now: clock } = this.deps;
    const logger = context?.log ?? this.deps.logger;
    const address = normalizeEmail(input.email);
    if (!address.ok) throw problems.invalidRequest(`email ${address.reason}.`);
    const endUserIp = input.endUserIp === undefined ? null : endUserIpKey(input.endUserIp);
    if (endUserIp === undefined) throw problems.invalidRequest('endUserIp must be an IPv4 or IPv6 address.');
    const domain = checkDomain(address.domain, client.allowedDomains);
    if (!domain.allowed) throw problems.domainNotAllowed(`${domain.reason}.`);

    const purpose = input.purpose ?? 'login';
    const locale = resolveLocale(input.locale, client.defaultLocale);
    const code = generateCode(codeLength);
    const now = clock();
    const outcome = await store.recordSend({
      clientId: client.id,
      email: address.email,
      domain: address.domain,
      purpose,
      locale,
      endUserIp,
      now,
      limits: this.limits,
      newVerificationId: newId('vf'),
      codeHashFor: (verificationId) => hashCode(this.deps.codeKeys[0]!, verificationId, code),
      payloadFor: (verification) => {
        const mail: CodeMail = {
          to: address.email,
          from: client.mailFrom ?? config.MAIL_FROM,
          clientName: client.name,
          replyTo: client.replyTo,
          support: client.support,
          logoUrl: client.logoUrl,
          accentColor: client.accentColor,
          codeInSubject: client.codeInSubject,
          code,
          purpose,
          locale: verification.locale,
          ttlMinutes: Math.round(this.limits.codeTtlMs / 60_000),
          verificationId: verification.id,
        };
        return seal(this.deps.outboxKeys[0]!, JSON.stringify(mail));
      },
    });
    const audit = { client: client.id, to: maskEmail(address.email), purpose, ip: input.endUserIp ?? context?.portalIp };
    if (outcome.kind === 'limited') {
      this.deps.events?.limited?.(outcome.limit);
      logger.info({ ...audit, limit: outcome.limit, outcome: 'rate_limited' }, 'send refused by limit');
      throw problems.rateLimited(outcome.retryAfterMs / 1000, limitDetail[outcome.limit]);
    }
    this.deps.onMailQueued?.();
    this.deps.events?.sent?.();
    const v = outcome.verification;
    logger.info({ ...audit, verificationId: v.id, joined: outcome.joined, outcome: 'queued' }, 'code queued');
    return {
      verificationId: v.id,
      email: v.email,
      purpose: v.purpose,
      expiresAt: new Date(v.expiresAt).toISOString(),
      resendAfter: new Date(v.lastSentAt + this.limits.cooldownMs).toISOString(),
      maxAttempts: v.maxAttempts,
    };
  }

  async verifyCode(client: Client, target: VerificationTarget, code: string, context?: RequestContext) {
    const { store } = this.deps;
    const logger = context?.log ?? this.deps.logger;
    const now = this.deps.now();
    const outcome = await store.attemptCode({
      clientId: client.id,
      target: 'email' in target ? this.normalizedTarget(target) : target,
      now,
      matches: (verificationId, hashes) => codeMatchesAny(this.deps.codeKeys, verificationId, code, hashes),
    });
    if (outcome.kind !== 'verified') {
      // A right code costs a signature; every other answer signs a decoy of the same shape
      // (and throws it away), so the time to answer does not tell right from wrong from an
      // unknown verification id.
      await signAssertion(this.deps.keys, this.decoy, this.assertionOptions, now);
    }
    const audit = {
      client: client.id,
      verificationId: outcome.verification?.id ?? ('verificationId' in target ? target.verificationId : undefined),
      to: outcome.verification ? maskEmail(outcome.verification.email) : undefined,
      ip: context?.endUserIp ?? context?.portalIp,
      outcome: outcome.kind,
    };
    switch (outcome.kind) {
      case 'verified': {
        this.deps.events?.verified?.();
        logger.info(audit, 'code verified');
        const { token, expiresAt } = await signAssertion(this.deps.keys, outcome.verification, this.assertionOptions, now);
        return { verified: true as const, assertion: token, expiresAt };
      }
      case 'invalid':
        this.deps.events?.failed?.();
        if (outcome.attemptsRemaining === 0) this.deps.events?.locked?.();
        logger.info({ ...audit, attemptsRemaining: outcome.attemptsRemaining }, 'wrong code');
        if (outcome.attemptsRemaining === 0) logger.warn({ ...audit, outcome: 'locked' }, 'verification locked after too many wrong codes');
        throw problems.invalidCode(outcome.attemptsRemaining);
      case 'locked':
        logger.info(audit, 'attempt on a locked verification');
        throw problems.tooManyAttempts();
      case 'expired':
        logger.info(audit, 'attempt on an expired verification');
        throw problems.codeExpired();
      case 'canceled':
        throw problems.codeExpired('This verification was canceled; send a new code.');
      case 'already_verified':
        logger.info(audit, 'attempt on a used verification');
        throw problems.alreadyVerified();
      case 'not_found':
        logger.info(audit, 'attempt on an unknown verification');
        throw problems.verificationNotFound();
    }
  }

  private normalizedTarget(target: { email: string; purpose: Purpose }): VerificationTarget {
    const address = normalizeEmail(target.email);
    if (!address.ok) throw problems.invalidRequest(`email ${address.reason}.`);
    return { email: address.email, purpose: target.purpose };
  }

  async getVerification(client: Client, id: string) {
    const found = await this.deps.store.getVerification(id, client.id);
    if (!found) throw problems.verificationNotFound();
    const { verification: v, delivery } = found;
    const now = this.deps.now();
    const status = publicStatus(v, now);
    return {
      id: v.id,
      email: v.email,
      purpose: v.purpose,
      status,
      delivery: delivery?.status ?? 'queued',
      deliveryAttempts: delivery?.attempts ?? 0,
      lastDeliveryError: delivery?.lastError ?? null,
      attemptsRemaining: status === 'pending' ? Math.max(0, v.maxAttempts - v.attempts) : 0,
      expiresAt: new Date(v.expiresAt).toISOString(),
    };
  }

  async cancelVerification(client: Client, id: string): Promise<void> {
    const result = await this.deps.store.cancelVerification(id, client.id, this.deps.now());
    if (result === 'not_found') throw problems.verificationNotFound();
    if (result === 'already_verified') throw problems.alreadyVerified();
    this.deps.logger.info({ client: client.id, verificationId: id, outcome: result }, 'verification cancel');
  }
}
