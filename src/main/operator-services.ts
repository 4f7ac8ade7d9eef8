// What an operator does (the CLI, and the console over the same services), over one store.
import type { KeyRing } from '../assertions/keyring.js';
import { DkimService } from '../clients/dkim-service.js';
import { RelayService } from '../clients/relay-service.js';
import { ClientsService } from '../clients/service.js';
import { EventsService } from '../events/service.js';
import { supportedLocales } from '../mail/render.js';
import { OperatorsService } from '../operators/service.js';
import { ConsoleSessions } from '../operators/sessions.js';
import { purgeExpired } from '../retention/purge.js';
import type { PurgeResult } from '../retention/ports.js';
import { codeSecrets, type Config } from '../shared/config.js';
import { deriveKeySet, type KeySet } from '../shared/key-set.js';
import type { Store } from '../store/store.js';
import { SuppressionService } from '../suppression/service.js';
import { WebhookService } from '../webhooks/service.js';
import { webhookSetup } from '../webhooks/wiring.js';
import { keyRingFor, openStore } from './open-store.js';
import { PasskeySettingsService } from '../passkeys/settings-service.js';

export interface OperatorServices {
  clients: ClientsService;
  /** Clients' own SMTP relays (`mailcode clients update --smtp-url`). */
  relays: RelayService;
  events: EventsService;
  suppressions: SuppressionService;
  webhooks: WebhookService;
  /** Clients' own DKIM keys (`mailcode clients dkim`, `clients dns`). */
  dkim: DkimService;
  /** The people who run mailcode (`mailcode operators`; the console signs them in). */
  operators: OperatorsService;
  /** Clients' relying parties for passkeys (`mailcode clients passkeys`). */
  passkeySettings: PasskeySettingsService;
  /** The assertion signing keys (`mailcode keys rotate`). */
  keys: KeyRing;
  /** The console's server-side sessions (the console signs operators in with them). */
  consoleSessions: ConsoleSessions;
  /** Deletes what is past its retention, and console sessions that ended (the hourly job, `mailcode purge`). */
  purge(): Promise<PurgeResult & { consoleSessions: number }>;
}

/** The operator's services over `store`, with the signing keys already loaded. */
export function operatorServices(
  config: Config,
  store: Store,
  keys: KeyRing,
  now: () => number = Date.now,
  keySet: KeySet = deriveKeySet(codeSecrets(config)),
): OperatorServices {
  const consoleSessions = new ConsoleSessions(store.consoleSessions, store.operators, { now });
  return {
    clients: new ClientsService(store.clients, now, {
      production: config.NODE_ENV === 'production',
      locales: supportedLocales,
    }),
    relays: new RelayService(store.clientRelays, store.clients, { sealKeys: keySet.smtpRelays, now }),
    events: new EventsService(store.events),
    suppressions: new SuppressionService(store.suppressions, now),
    webhooks: new WebhookService(store.webhooks, { ...webhookSetup(config, keySet), now }),
    dkim: new DkimService(store.dkimKeys, store.clients, {
      sealKeys: keySet.dkimKeys,
      now,
      server:
        config.DKIM_DOMAIN && config.DKIM_SELECTOR
          ? { domain: config.DKIM_DOMAIN.toLowerCase(), selector: config.DKIM_SELECTOR }
          : undefined,
      defaultFrom: config.MAIL_FROM,
      spf: config.MAIL_SPF,
      bounceDomain: config.BOUNCE_DOMAIN?.toLowerCase(),
      bounceHost: new URL(config.PUBLIC_URL).hostname,
    }),
    operators: new OperatorsService(store.operators, now, consoleSessions),
    passkeySettings: new PasskeySettingsService(store.passkeys, { production: config.NODE_ENV === 'production', now }),
    consoleSessions,
    keys,
    purge: async () => ({
      ...(await purgeExpired(store.maintenance, keys, config.RETENTION_DAYS, now(), config.EVENT_RETENTION_DAYS)),
      consoleSessions: await consoleSessions.removeEnded(),
    }),
  };
}

/** The CLI's way in: the operator's services on the configured database (migrated), and how to close it. */
export async function openOperator(config: Config): Promise<OperatorServices & { close(): Promise<void> }> {
  const store = await openStore(config);
  try {
    const keys = keyRingFor(store.signingKeys, config);
    await keys.init();
    return { ...operatorServices(config, store, keys), close: () => keys.settled().then(() => store.close()) };
  } catch (error) {
    await store.close();
    throw error;
  }
}
