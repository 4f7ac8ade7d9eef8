// The email-code feature as the composition root builds it: its limits from the
// configuration, its keys from the key set, its metrics.
import type { AssertionOptions } from '../assertions/assertion.js';
import type { KeyRing } from '../assertions/keyring.js';
import type { Config } from '../shared/config.js';
import type { KeySet } from '../shared/key-set.js';
import type { Metrics } from '../shared/metrics.js';
import type { Logger } from 'pino';
import type { SendLimits } from './model.js';
import type { VerificationsPort } from './ports.js';
import { VerificationService } from './service.js';

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
    unknownLinksPerIpHour: config.UNKNOWN_LINKS_PER_IP_HOUR,
  };
}

export interface VerificationWiring {
  config: Config;
  verifications: VerificationsPort;
  keys: KeyRing;
  keySet: KeySet;
  assertion: AssertionOptions;
  metrics: Metrics;
  now: () => number;
  logger: Logger;
  /** The locale a mail is written in (mail/render.ts knows which there are). */
  resolveLocale(requested: string | undefined, fallback: string): string;
  /** A mail was queued: the worker need not wait for its next pass. */
  onMailQueued(): void;
}

export const wireVerification = (w: VerificationWiring): VerificationService =>
  new VerificationService({
    verifications: w.verifications,
    keys: w.keys,
    limits: sendLimits(w.config),
    assertion: w.assertion,
    mailFrom: w.config.MAIL_FROM,
    resolveLocale: w.resolveLocale,
    codeKeys: w.keySet.codes,
    outboxKeys: w.keySet.outbox,
    now: w.now,
    logger: w.logger.child({ component: 'verification' }),
    onMailQueued: w.onMailQueued,
    metrics: w.metrics.verificationReports(),
  });
