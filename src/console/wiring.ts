// The console as the composition root builds it: the operator's services, the sign-in (a
// mailed code through mailcode's own client, then the authenticator app), support's view.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Lookup } from '../clients/dns.js';
import type { DkimService } from '../clients/dkim-service.js';
import type { ClientsService } from '../clients/service.js';
import type { EventsPort } from '../events/ports.js';
import type { EventsService } from '../events/service.js';
import type { RelayHealth } from '../mail/relay-health.js';
import type { OperatorsPort } from '../operators/ports.js';
import type { OperatorsService } from '../operators/service.js';
import type { ConsoleSessions } from '../operators/sessions.js';
import { ConsoleSignIn } from '../operators/sign-in.js';
import { SupportService } from '../operators/support.js';
import type { PeopleService } from '../people/service.js';
import type { Config } from '../shared/config.js';
import type { KeySet } from '../shared/key-set.js';
import type { SuppressionService } from '../suppression/service.js';
import type { RecoveryService } from '../recovery/service.js';
import type { PasskeyService } from '../passkeys/service.js';
import type { PasskeySettingsService } from '../passkeys/settings-service.js';
import type { TrustedBrowserService } from '../trusted-browsers/service.js';
import type { TotpService } from '../totp/service.js';
import type { VerificationService } from '../verification/service.js';
import type { WebhookService } from '../webhooks/service.js';
import type { ConsoleServices } from './services.js';

export interface ConsoleWiring {
  config: Config;
  redis: Redis | undefined;
  keySet: KeySet;
  now: () => number;
  logger: Logger;
  operator: {
    clients: ClientsService;
    suppressions: SuppressionService;
    events: EventsService;
    webhooks: WebhookService;
    dkim: DkimService;
    operators: OperatorsService;
    consoleSessions: ConsoleSessions;
    passkeySettings: PasskeySettingsService;
  };
  /** The sign-in reads operators by address and writes its events itself. */
  ports: { operators: OperatorsPort; events: EventsPort };
  verification: VerificationService;
  totp: TotpService;
  people: PeopleService;
  recovery: RecoveryService;
  trustedBrowsers: TrustedBrowserService;
  passkeys: PasskeyService;
  relayHealth: RelayHealth;
  dnsLookup: Lookup;
}

export function wireConsole(w: ConsoleWiring): ConsoleServices {
  const { operator, config, now } = w;
  return {
    sessions: operator.consoleSessions,
    signIn: new ConsoleSignIn({
      operators: w.ports.operators,
      sessions: operator.consoleSessions,
      verification: w.verification,
      totp: w.totp,
      serviceClient: () => operator.clients.serviceClient(),
      events: w.ports.events,
      now,
      failedAfterAnswer: (error) =>
        w.logger.error(
          { err: error },
          "an operator's sign-in code could not be sent; they see no code and start again",
        ),
    }),
    support: new SupportService({
      clients: operator.clients,
      verification: w.verification,
      suppressions: operator.suppressions,
      totp: w.totp,
      events: operator.events,
      people: w.people,
      recovery: w.recovery,
      trustedBrowsers: w.trustedBrowsers,
      passkeys: w.passkeys,
    }),
    operators: operator.operators,
    clients: operator.clients,
    webhooks: operator.webhooks,
    dkim: operator.dkim,
    passkeySettings: operator.passkeySettings,
    events: operator.events,
    dnsLookup: w.dnsLookup,
    now,
    publicUrl: config.PUBLIC_URL,
    relayHealth: w.relayHealth,
    csrfKey: w.keySet.consoleCsrf[0]!,
    signInLimiter: {
      perMinute: config.CONSOLE_SIGN_INS_PER_MINUTE,
      redis: w.redis ? { client: w.redis, prefix: config.REDIS_KEY_PREFIX } : undefined,
    },
  };
}
