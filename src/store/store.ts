// The ports one database offers, each its own object: a consumer is handed only the ports
// it uses (the worker the outbox, the key ring the signing keys), so its constructor says
// what it touches.
import type { SigningKeysPort } from '../assertions/ports.js';
import type { ClientRelaysPort, ClientsPort, DkimKeysPort } from '../clients/ports.js';
import type { EventsPort } from '../events/ports.js';
import type { OutboxPort } from '../mail/outbox.js';
import type { MaintenancePort } from '../retention/ports.js';
import type { OperatorsPort } from '../operators/ports.js';
import type { PeoplePort } from '../people/ports.js';
import type { RecoveriesPort } from '../recovery/ports.js';
import type { TrustedBrowsersPort } from '../trusted-browsers/ports.js';
import type { PasskeysPort } from '../passkeys/ports.js';
import type { ConsoleSessionsPort } from '../operators/sessions.js';
import type { SuppressionsPort } from '../suppression/ports.js';
import type { TotpFactorsPort } from '../totp/ports.js';
import type { WebhooksPort } from '../webhooks/ports.js';
import type { VerificationsPort } from '../verification/ports.js';

export interface Store {
  readonly clients: ClientsPort;
  readonly dkimKeys: DkimKeysPort;
  readonly clientRelays: ClientRelaysPort;
  readonly verifications: VerificationsPort;
  readonly outbox: OutboxPort;
  readonly signingKeys: SigningKeysPort;
  readonly totpFactors: TotpFactorsPort;
  readonly events: EventsPort;
  readonly suppressions: SuppressionsPort;
  readonly webhooks: WebhooksPort;
  readonly people: PeoplePort;
  readonly recoveries: RecoveriesPort;
  readonly trustedBrowsers: TrustedBrowsersPort;
  readonly passkeys: PasskeysPort;
  readonly maintenance: MaintenancePort;
  readonly operators: OperatorsPort;
  readonly consoleSessions: ConsoleSessionsPort;
  /** Whether the database answers (readiness). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
