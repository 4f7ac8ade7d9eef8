// Email verification as the portal asks for it: send a code, check a code, look at or
// cancel a verification. Inputs are checked and normalized here, the flows decide, and
// refusals are thrown as DomainErrors for the edge to word.
import { attemptFlow } from './attempt-flow.js';
import { cancelFlow } from './cancel-flow.js';
import { linkFlow } from './link-flow.js';
import { sendFlow } from './send-flow.js';
import { standingFlow } from './standing.js';
import type { Logger } from 'pino';
import { signAssertion, type AssertionOptions } from '../assertions/assertion.js';
import type { KeyRing } from '../assertions/keyring.js';
import type { Client } from '../clients/model.js';
import type { RequestContext } from '../events/model.js';
import { refuse } from './refusals.js';
import { newTimeOrderedId } from '../shared/ids.js';
import { seal } from '../shared/secrets.js';
import { brandingOf, type CodeMail } from './code-mail.js';
import { codeMatchesAny, generateCode, hashCode } from './codes.js';
import {
  bindingMatches,
  badBrowserBinding,
  continueLink,
  hashBrowserBinding,
  hashLinkToken,
  isBrowserBinding,
  linkTokenPattern,
  newLinkToken,
} from './links.js';
import { checkDomain } from './domain-policy.js';
import { maskEmail, normalizeEmail } from './email-address.js';
import { endUserIpKey } from './end-user-ip.js';
import {
  isPortalVerification,
  publicStatus,
  type CodePurpose,
  type Delivery,
  type Purpose,
  type SendLimits,
  type Verification,
  type VerificationTarget,
} from './model.js';
import type { SendStanding } from './standing.js';
import type { VerificationsPort } from './ports.js';

export const codeLength = 6;

export interface VerificationServiceDeps {
  verifications: VerificationsPort;
  keys: KeyRing;
  limits: SendLimits;
  assertion: AssertionOptions;
  /** The sender when the client has none of its own. */
  mailFrom: string;
  /** The locale the mail will be written in, from the one asked for and the client's default. */
  resolveLocale(requested: string | undefined, fallback: string): string;
  /** Newest first: the first hashes and seals, all of them verify and open. */
  codeKeys: Buffer[];
  outboxKeys: Buffer[];
  now: () => number;
  logger: Logger;
  onMailQueued?: () => void;
  /** What the service reports to the metrics (shared/metrics.ts): codes sent, verified, failed, locked, limited. */
  metrics?: {
    sent?(): void;
    verified?(): void;
    failed?(): void;
    locked?(): void;
    limited?(limit: string): void;
    /** A continue link's outcome: verified, different_browser, unknown, used, expired, canceled, locked, limited. */
    link?(outcome: string): void;
  };
}

export interface SendCodeInput {
  email: string;
  purpose?: Purpose;
  locale?: string;
  endUserIp?: string;
  /** The hash of a random value the portal keeps in an HttpOnly cookie of the browser that asked: its continue link works there. */
  browserBinding?: string;
  /** The portal's reference of the person this address is proven for: a right code records it (people/) and the assertion says it. */
  userRef?: string;
}

export interface VerifyLinkInput {
  token: string;
  /** The binding of the browser that clicked (the same hash of its cookie), if it has one. */
  browserBinding?: string;
  endUserIp?: string;
}

const tokenShape = new RegExp(linkTokenPattern);

export class VerificationService {
  private readonly decoy: Verification;

  constructor(private readonly deps: VerificationServiceDeps) {
    this.decoy = {
      id: 'vf_decoy0000000000000000',
      clientId: 'cl_decoy0000',
      email: 'decoy@decoy.invalid',
      purpose: 'login',
      locale: 'en',
      status: 'verified',
      attempts: 1,
      maxAttempts: deps.limits.maxAttempts,
      sendCount: 1,
      createdAt: 0,
      lastSentAt: 0,
      expiresAt: 0,
      verifiedAt: 0,
      verifiedWith: null,
      userRef: null,
    };
  }

  /** Queues a code mail; the verification, and when a resend is allowed. */
  sendCode(client: Client, input: SendCodeInput, context: RequestContext) {
    return this.send(client, { ...input, purpose: input.purpose ?? 'login' }, context);
  }

  /**
   * A recovery's code (recovery/), to the address the person proved: every send limit
   * applies, as to any code; no continue link (the code is typed where recovery was asked
   * for), and a right code proves nothing new about the person.
   */
  sendRecoveryCode(
    client: Client,
    input: { email: string; locale?: string; endUserIp?: string },
    context: RequestContext,
  ) {
    return this.send(client, { ...input, purpose: 'recovery' }, context);
  }

  private async send(
    client: Client,
    input: Omit<SendCodeInput, 'purpose'> & { purpose: CodePurpose },
    context: RequestContext,
  ): Promise<{ verification: Verification; resendAfter: number }> {
    const { limits } = this.deps;
    const logger = context.log ?? this.deps.logger;
    const address = normalizeEmail(input.email);
    if (!address.ok) throw refuse({ kind: 'invalid_request', detail: `email ${address.reason}.` });
    const endUserIp = input.endUserIp === undefined ? null : endUserIpKey(input.endUserIp);
    if (endUserIp === undefined)
      throw refuse({ kind: 'invalid_request', detail: 'endUserIp must be an IPv4 or IPv6 address.' });
    const domain = checkDomain(address.domain, client.allowedDomains);
    if (!domain.allowed) throw refuse({ kind: 'domain_not_allowed', detail: `${domain.reason}.` });

    if (input.browserBinding !== undefined && !isBrowserBinding(input.browserBinding))
      throw refuse({ kind: 'invalid_request', detail: badBrowserBinding });

    const { purpose } = input;
    const code = generateCode(codeLength);
    const link = purpose === 'recovery' ? null : this.continueLinkFor(client, input.browserBinding);
    const now = this.deps.now();
    const outcome = await this.deps.verifications.runSend(
      sendFlow({
        clientId: client.id,
        email: address.email,
        userRef: purpose === 'recovery' ? null : (input.userRef ?? null),
        domain: address.domain,
        purpose,
        locale: this.deps.resolveLocale(input.locale, client.defaultLocale),
        endUserIp,
        now,
        limits,
        newVerificationId: newTimeOrderedId('vf', now),
        codeHashFor: (verificationId) => hashCode(this.deps.codeKeys[0]!, verificationId, code),
        link: link?.stored ?? null,
        payloadFor: (verification) => {
          const mail: CodeMail = {
            ...brandingOf(client, this.deps.mailFrom),
            to: address.email,
            code,
            purpose,
            locale: verification.locale,
            ttlMinutes: Math.round(limits.codeTtlMs / 60_000),
            verificationId: verification.id,
            ...(link ? { continueUrl: link.url } : {}),
          };
          return seal(this.deps.outboxKeys[0]!, JSON.stringify(mail));
        },
        context: context,
      }),
    );
    const audit = { client: client.id, to: maskEmail(address.email), purpose, ip: input.endUserIp ?? context.ip };
    if (outcome.kind === 'suppressed') {
      logger.info({ ...audit, outcome: 'suppressed' }, 'send refused: the address bounced and is suppressed');
      throw refuse({
        kind: 'address_undeliverable',
        reason: outcome.reason,
        enhancedStatus: outcome.enhancedStatus,
        until: outcome.until,
      });
    }
    if (outcome.kind === 'limited') {
      this.deps.metrics?.limited?.(outcome.limit);
      logger.info({ ...audit, limit: outcome.limit, outcome: 'rate_limited' }, 'send refused by limit');
      throw refuse({ kind: 'rate_limited', limit: outcome.limit, retryAfterMs: outcome.retryAfterMs });
    }
    this.deps.onMailQueued?.();
    this.deps.metrics?.sent?.();
    const v = outcome.verification;
    logger.info(
      { ...audit, verificationId: v.id, joined: outcome.joined, continueLink: link !== null, outcome: 'queued' },
      'code queued',
    );
    return { verification: v, resendAfter: v.lastSentAt + limits.cooldownMs };
  }

  /** A right code's signed assertion; anything else is refused. `recovery`: a recovery's code (recovery/), by its id. */
  async verifyCode(
    client: Client,
    target: VerificationTarget,
    code: string,
    context: RequestContext,
    options: { recovery?: boolean } = {},
  ): Promise<{ assertion: string; expiresAt: number }> {
    const logger = context.log ?? this.deps.logger;
    const now = this.deps.now();
    const outcome = await this.deps.verifications.runAttempt(
      attemptFlow({
        clientId: client.id,
        target: 'email' in target ? this.normalizedTarget(target) : target,
        now,
        matches: (verificationId, hashes) => codeMatchesAny(this.deps.codeKeys, verificationId, code, hashes),
        context: context,
        recovery: options.recovery === true,
      }),
    );
    if (outcome.kind !== 'verified') {
      // A right code costs a signature; every other answer signs a decoy of the same shape
      // (and throws it away), so the time to answer does not tell right from wrong from an
      // unknown verification id.
      await signAssertion(this.deps.keys, this.decoy, this.deps.assertion, now);
    }
    const audit = {
      client: client.id,
      verificationId: outcome.verification?.id ?? ('verificationId' in target ? target.verificationId : undefined),
      to: outcome.verification ? maskEmail(outcome.verification.email) : undefined,
      ip: context.endUserIp ?? context.ip,
      outcome: outcome.kind,
    };
    switch (outcome.kind) {
      case 'verified': {
        this.deps.metrics?.verified?.();
        logger.info(audit, 'code verified');
        const { token, expiresAt } = await signAssertion(
          this.deps.keys,
          outcome.verification,
          this.deps.assertion,
          now,
        );
        return { assertion: token, expiresAt };
      }
      case 'invalid':
        this.deps.metrics?.failed?.();
        if (outcome.attemptsRemaining === 0) this.deps.metrics?.locked?.();
        logger.info({ ...audit, attemptsRemaining: outcome.attemptsRemaining }, 'wrong code');
        if (outcome.attemptsRemaining === 0)
          logger.warn({ ...audit, outcome: 'locked' }, 'verification locked after too many wrong codes');
        throw refuse({ kind: 'invalid_code', attemptsRemaining: outcome.attemptsRemaining });
      case 'locked':
        logger.info(audit, 'attempt on a locked verification');
        throw refuse({ kind: 'too_many_attempts' });
      case 'expired':
        logger.info(audit, 'attempt on an expired verification');
        throw refuse({ kind: 'code_expired' });
      case 'canceled':
        throw refuse({ kind: 'verification_canceled' });
      case 'already_verified':
        logger.info(audit, 'attempt on a used verification');
        throw refuse({ kind: 'already_verified' });
      case 'not_found':
        logger.info(audit, 'attempt on an unknown verification');
        throw refuse({ kind: 'verification_not_found' });
    }
  }

  /**
   * A mail carries a continue link when the client has a page for it and the link can work:
   * bound to the browser that asked, or the client allows any browser.
   */
  private continueLinkFor(client: Client, browserBinding: string | undefined) {
    if (!client.continueUrl || (browserBinding === undefined && !client.continueAnyBrowser)) return null;
    const token = newLinkToken();
    const key = this.deps.codeKeys[0]!;
    return {
      url: continueLink(client.continueUrl, token),
      stored: {
        linkHash: hashLinkToken(key, token),
        bindingHash: browserBinding === undefined ? null : hashBrowserBinding(key, browserBinding),
      },
    };
  }

  /**
   * A continue link clicked: the signed assertion when it is pending and the browser is the
   * one that asked (or the client allows any). Unlike a code, nothing here is secret from
   * the one who holds the link, so no decoy work evens out the answers' timing: a token is
   * 192 random bits, and no answer helps guess one.
   */
  async verifyLink(
    client: Client,
    input: VerifyLinkInput,
    context: RequestContext,
  ): Promise<{ assertion: string; expiresAt: number }> {
    const logger = context.log ?? this.deps.logger;
    if (!tokenShape.test(input.token))
      throw refuse({ kind: 'invalid_request', detail: 'token must be the 32 characters after #mc= in the link.' });
    const binding = input.browserBinding;
    if (binding !== undefined && !isBrowserBinding(binding))
      throw refuse({ kind: 'invalid_request', detail: badBrowserBinding });
    const ipKey = endUserIpKey(input.endUserIp ?? context.ip ?? '');
    if (ipKey === undefined && input.endUserIp !== undefined)
      throw refuse({ kind: 'invalid_request', detail: 'endUserIp must be an IPv4 or IPv6 address.' });
    const now = this.deps.now();
    const outcome = await this.deps.verifications.runLink(
      linkFlow({
        clientId: client.id,
        linkHashes: this.deps.codeKeys.map((key) => hashLinkToken(key, input.token)),
        sameBrowser: (stored) => bindingMatches(this.deps.codeKeys, binding, stored),
        anyBrowser: client.continueAnyBrowser,
        ipKey: ipKey ?? 'unknown',
        now,
        limits: this.deps.limits,
        context,
      }),
    );
    const v = 'verification' in outcome ? outcome.verification : undefined;
    const metric = outcome.kind === 'already_verified' ? 'used' : outcome.kind;
    this.deps.metrics?.link?.(metric);
    logger.info(
      {
        client: client.id,
        verificationId: v?.id,
        to: v && maskEmail(v.email),
        ip: input.endUserIp ?? context.ip,
        outcome: `link_${metric}`,
      },
      'continue link',
    );
    switch (outcome.kind) {
      case 'verified': {
        this.deps.metrics?.verified?.();
        const { token, expiresAt } = await signAssertion(
          this.deps.keys,
          outcome.verification,
          this.deps.assertion,
          now,
          outcome.sameBrowser,
        );
        return { assertion: token, expiresAt };
      }
      case 'different_browser':
        throw refuse({ kind: 'different_browser' });
      case 'unknown':
        throw refuse({ kind: 'link_not_found' });
      case 'limited':
        this.deps.metrics?.limited?.('unknown_links');
        throw refuse({ kind: 'rate_limited', limit: 'unknown_links', retryAfterMs: outcome.retryAfterMs });
      case 'already_verified':
        throw refuse({ kind: 'already_verified' });
      case 'expired':
        throw refuse({ kind: 'code_expired' });
      case 'canceled':
        throw refuse({ kind: 'verification_canceled' });
      case 'locked':
        throw refuse({ kind: 'too_many_attempts' });
    }
  }

  private normalizedTarget(target: { email: string; purpose: Purpose }): VerificationTarget {
    const address = normalizeEmail(target.email);
    if (!address.ok) throw refuse({ kind: 'invalid_request', detail: `email ${address.reason}.` });
    return { email: address.email, purpose: target.purpose };
  }

  /** A verification the portal asked for (a recovery's code is mailcode's own, and not found here). */
  async getVerification(client: Client, id: string) {
    const found = await this.deps.verifications.get(id, client.id);
    if (!found || !isPortalVerification(found.verification)) throw refuse({ kind: 'verification_not_found' });
    return this.described({ ...found, verification: found.verification });
  }

  /** What became of a recovery's code mail (recovery/): its delivery, for the portal's "did it arrive?". */
  async recoveryDelivery(client: Client, verificationId: string): Promise<Delivery | null> {
    return (await this.deps.verifications.get(verificationId, client.id))?.delivery ?? null;
  }

  /** The newest verifications of an address across every client (support's lookup), with their deliveries. */
  async findByEmail(email: string, limit = 20) {
    const address = normalizeEmail(email);
    if (!address.ok) throw refuse({ kind: 'invalid_request', detail: `email ${address.reason}.` });
    const newest = await this.deps.verifications.newestByEmail(address.email, limit);
    const found = await Promise.all(newest.map(({ id, clientId }) => this.deps.verifications.get(id, clientId)));
    return found.filter((f) => f !== undefined).map((f) => this.described(f));
  }

  /**
   * What a send of this client to the address would be answered now, checked as the send
   * checks it — the domain policy, then the suppression, the cooldown and every limit — and
   * where the address stands against each limit: why a send is refused, and until when.
   */
  async standing(client: Client, email: string): Promise<SendStanding> {
    const address = normalizeEmail(email);
    if (!address.ok) throw refuse({ kind: 'invalid_request', detail: `email ${address.reason}.` });
    const standing = await this.deps.verifications.runSend(
      standingFlow({
        clientId: client.id,
        email: address.email,
        domain: address.domain,
        purpose: 'login',
        now: this.deps.now(),
        limits: this.deps.limits,
      }),
    );
    const domain = checkDomain(address.domain, client.allowedDomains);
    return domain.allowed ? standing : { ...standing, verdict: { kind: 'domain_not_allowed', reason: domain.reason } };
  }

  private described<V extends Verification>({
    verification,
    delivery,
  }: {
    verification: V;
    delivery: Delivery | null;
  }) {
    const status = publicStatus(verification, this.deps.now());
    return {
      verification,
      status,
      delivery,
      attemptsRemaining: status === 'pending' ? Math.max(0, verification.maxAttempts - verification.attempts) : 0,
    };
  }

  async cancelVerification(client: Client, id: string, context: RequestContext): Promise<void> {
    const result = await this.deps.verifications.runCancel(
      cancelFlow({ id, clientId: client.id, now: this.deps.now(), context }),
    );
    if (result === 'not_found') throw refuse({ kind: 'verification_not_found' });
    if (result === 'already_verified') throw refuse({ kind: 'already_verified' });
    this.deps.logger.info({ client: client.id, verificationId: id, outcome: result }, 'verification cancel');
  }
}
