// The webhooks feature as the composition root builds it: the endpoints' sealed secrets and
// the allowed targets (the operator's service and the worker share them), and the worker.
import type { Logger } from 'pino';
import type { Config } from '../shared/config.js';
import type { KeySet } from '../shared/key-set.js';
import type { Metrics } from '../shared/metrics.js';
import type { WebhooksPort } from './ports.js';
import { postWebhook, webhookAgents } from './sender.js';
import { type TargetPolicy, webhookPolicy } from './url-policy.js';
import { WebhookWorker } from './worker.js';

/** How endpoints' secrets are sealed and which targets are allowed. */
export interface WebhookSetup {
  secretKeys: Buffer[];
  policy: TargetPolicy;
}

export const webhookSetup = (config: Config, keySet: KeySet): WebhookSetup => ({
  secretKeys: keySet.webhookSecrets,
  policy: webhookPolicy(config),
});

export interface WebhookWiring {
  config: Config;
  setup: WebhookSetup;
  webhooks: WebhooksPort;
  metrics: Metrics;
  now: () => number;
  logger: Logger;
}

export function wireWebhookWorker(w: WebhookWiring) {
  const connections = webhookAgents(w.setup.policy);
  const worker = new WebhookWorker({
    webhooks: w.webhooks,
    post: (url, headers, body) => postWebhook(url, headers, body, { policy: w.setup.policy, agents: connections }),
    secretKeys: w.setup.secretKeys,
    logger: w.logger.child({ component: 'webhooks' }),
    now: w.now,
    // Longer than a delivery can take (5 s timeout), so a live process never takes its own
    // delivery in flight again; a dead one's deliveries come back after it.
    leaseMs: Math.max(w.config.MAIL_LEASE_SECONDS * 1000, 6_000),
    ...w.metrics.webhookReports(),
  });
  return {
    worker,
    close() {
      connections.http.destroy();
      connections.https.destroy();
    },
  };
}
