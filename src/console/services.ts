// What the console is handed (main/wiring.ts makes it): services, never a store.
import type { ClientsService } from '../clients/service.js';
import type { DkimService } from '../clients/dkim-service.js';
import type { Lookup } from '../clients/dns.js';
import type { EventsService } from '../events/service.js';
import type { OperatorsService } from '../operators/service.js';
import type { ConsoleSessions } from '../operators/sessions.js';
import type { ConsoleSignIn } from '../operators/sign-in.js';
import type { SupportService } from '../operators/support.js';
import type { WebhookService } from '../webhooks/service.js';
import type { PasskeySettingsService } from '../passkeys/settings-service.js';
import type { Redis } from 'ioredis';
import type { RelayHealth } from '../mail/relay-health.js';

/** How many sign-in posts an IP may make a minute, counted in Redis when there is one. */
export interface SignInLimiter {
  perMinute: number;
  redis?: { client: Redis; prefix: string };
}

export interface ConsoleServices {
  sessions: ConsoleSessions;
  signIn: ConsoleSignIn;
  support: SupportService;
  operators: OperatorsService;
  clients: ClientsService;
  webhooks: WebhookService;
  dkim: DkimService;
  /** Clients' relying parties for passkeys. */
  passkeySettings: PasskeySettingsService;
  events: EventsService;
  /** Relays refusing mailcode itself, as this process met them: said on the client's page. */
  relayHealth: Pick<RelayHealth, 'forClient'>;
  /** How the DKIM page asks DNS whether the records are published. */
  dnsLookup: Lookup;
  now: () => number;
  /** mailcode's PUBLIC_URL: https (or a host off loopback) makes the cookies Secure, whatever Host a proxy passes. */
  publicUrl: string;
  /** The key the CSRF tokens are made with (derived from CODE_SECRET). */
  csrfKey: Buffer;
  /** Sign-in posts per IP and minute, shared through Redis when there is one. */
  signInLimiter: SignInLimiter;
}
