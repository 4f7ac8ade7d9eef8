// The mail feature as the composition root builds it: the worker that delivers the outbox,
// each client's DKIM signer and relay (read at most once a second), the relays' health, and
// the bounce listener when BOUNCE_SMTP_PORT is set.
import type { Logger } from 'pino';
import type { DkimSigner } from '../clients/dkim-service.js';
import type { Config } from '../shared/config.js';
import { keptForEach } from '../shared/kept.js';
import type { KeySet } from '../shared/key-set.js';
import type { Metrics } from '../shared/metrics.js';
import { ClientTransports } from './client-transports.js';
import type { OutboxPort } from './outbox.js';
import { describeRelayRefusal, RelayHealth } from './relay-health.js';
import { type MailTransport, serverDkim, smtpTransport } from './transport.js';
import { returnPath } from './verp.js';
import { MailWorker } from './worker.js';

export interface MailWiring {
  config: Config;
  outbox: OutboxPort;
  transport: MailTransport;
  keySet: KeySet;
  metrics: Metrics;
  now: () => number;
  logger: Logger;
  /** A client's DKIM signer for a sender (its own key, or the server's, or none). */
  signerFor(clientId: string, from: string): Promise<DkimSigner | undefined>;
  /** A client's own relay, when it has one. */
  smtpUrlOf(clientId: string): Promise<string | undefined>;
  /** The clients' names, for the operator's words about a refusing relay. */
  clientNames(): Promise<Map<string, string>>;
  /** A bounce said a mailbox is gone: what else ends for the people who proved it (their trusted browsers). */
  onAddressGone?(clientId: string, userRefs: string[]): Promise<void>;
}

export function wireMail(w: MailWiring) {
  const { config, metrics, now } = w;
  // Asked with every mail: a client's key and relay are read at most once a second.
  const signers = keptForEach(
    1_000,
    now,
    ({ clientId, from }: { clientId: string; from: string }) => w.signerFor(clientId, from),
    ({ clientId, from }) => `${clientId} ${from}`,
  );
  const relayUrls = keptForEach(1_000, now, w.smtpUrlOf, (clientId) => clientId);
  const clientTransports = new ClientTransports(relayUrls, (url) => smtpTransport(url, serverDkim(config)));
  const relayHealth = new RelayHealth((relay) => metrics.relayRefusals.inc({ relay }));
  const bounceDomain = config.BOUNCE_DOMAIN;
  const verpKey = w.keySet.verp[0]!;
  const worker = new MailWorker({
    relayHealth,
    signerFor: (clientId, from) => signers({ clientId, from }),
    transportFor: (clientId) => clientTransports.transportFor(clientId),
    // Per-mail return paths (VERP) when bounces are to come back to mailcode.
    returnPathFor: bounceDomain ? (outboxId) => returnPath(verpKey, bounceDomain, outboxId) : undefined,
    outbox: w.outbox,
    transport: w.transport,
    outboxKeys: w.keySet.outbox,
    logger: w.logger.child({ component: 'mail' }),
    now,
    leaseMs: config.MAIL_LEASE_SECONDS * 1000,
    ...metrics.mailReports(),
    onAddressGone: w.onAddressGone,
  });
  let bounceListener: { port: number; close(): Promise<void> } | undefined;
  return {
    worker,
    relayHealth,
    /** Relays refusing mailcode now, named with their clients (read only when there are some). */
    async relayWarnings(): Promise<string[]> {
      const refusals = relayHealth.current();
      if (refusals.length === 0) return [];
      const names = await w.clientNames();
      return refusals.map((r) => describeRelayRefusal(r, r.clientId ? names.get(r.clientId) : undefined));
    },
    bounceListenerPort: () => bounceListener?.port,
    async startBounceListener() {
      if (config.BOUNCE_SMTP_PORT === undefined || !bounceDomain) return;
      // Loaded only when used: smtp-server and mailparser hold 11 MB of heap, which a
      // server with a 128 MB heap cap otherwise pays for in garbage collection.
      const { startBounceListener } = await import('./bounce-listener.js');
      bounceListener = await startBounceListener({
        host: config.BOUNCE_SMTP_HOST,
        port: config.BOUNCE_SMTP_PORT,
        domain: bounceDomain,
        keys: w.keySet.verp,
        outbox: w.outbox,
        logger: w.logger.child({ component: 'bounces' }),
        now,
        onBounced: (domain) => metrics.mailBounced.inc({ domain }),
        onReport: (outcome) => metrics.bounceReports.inc({ outcome }),
        onAddressGone: w.onAddressGone,
      });
    },
    async stopBounceListener() {
      await bounceListener?.close();
    },
    /** After the worker stopped: the connections to the relays. */
    close() {
      w.transport.close();
      clientTransports.close();
    },
  };
}
