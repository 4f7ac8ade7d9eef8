// `mailcode webhooks add|list|remove|rotate-secret|test|replay`: a client's endpoints.
import type { Command } from 'commander';
import type { Config } from '../shared/config.js';
import { codeSecrets } from '../shared/config.js';
import { deriveKeys } from '../shared/secrets.js';
import type { Store } from '../store/store.js';
import { WebhookError, WebhookService } from '../webhooks/service.js';
import { webhookPolicy } from '../webhooks/url-policy.js';

type WithStore = <T>(fn: (store: Store, cfg: Config) => T | Promise<T>) => Promise<T>;

export function registerWebhookCommands(program: Command, withStore: WithStore): void {
  const webhooks = program.command('webhooks').description("a client's webhook endpoints (events signed per Standard Webhooks)");
  const withService = <T>(fn: (service: WebhookService) => Promise<T>) =>
    withStore(async (store, cfg) => {
      const service = new WebhookService(store.webhooks, { secretKeys: deriveKeys(codeSecrets(cfg), 'webhook-secrets'), policy: webhookPolicy(cfg), now: Date.now });
      try {
        return await fn(service);
      } catch (error) {
        if (!(error instanceof WebhookError)) throw error;
        process.stderr.write(`mailcode: ${error.message}\n`);
        process.exitCode = 1;
        return undefined;
      }
    });

  webhooks
    .command('add')
    .description('add an endpoint; prints its signing secret once')
    .argument('<client>', 'client id')
    .argument('<url>', 'https URL (http only to a loopback address, outside production)')
    .option('--event <type>', 'an event type it hears (repeat for more; default: every type)', (v: string, all: string[]) => [...all, v], [])
    .option('--json', 'print JSON')
    .action((clientId: string, url: string, options: { event: string[]; json?: boolean }) =>
      withService(async (service) => {
        const { endpoint, secret } = await service.add(clientId, url, options.event);
        console.log(options.json ? JSON.stringify({ ...endpoint, secret }) : `webhook ${endpoint.id} → ${endpoint.url}\nsigning secret (shown once, store it now): ${secret}`);
      }),
    );
  webhooks
    .command('list')
    .argument('[client]', 'client id (default: every client)')
    .option('--json', 'print JSON')
    .action((clientId: string | undefined, options: { json?: boolean }) =>
      withService(async (service) => {
        const list = await service.list(clientId);
        if (options.json) return console.log(JSON.stringify(list));
        for (const w of list) console.log([w.id, w.clientId, w.status, w.url, w.eventTypes.join(',') || '*', w.disabledReason ?? ''].join('\t'));
      }),
    );
  webhooks
    .command('remove')
    .argument('<id>', 'webhook id')
    .action((id: string) => withService(async (service) => (await service.remove(id), console.log(`webhook ${id} removed`))));
  webhooks
    .command('rotate-secret')
    .description('a new signing secret, at once (update the receiver first to accept both)')
    .argument('<id>', 'webhook id')
    .action((id: string) => withService(async (service) => console.log(`new signing secret for ${id} (shown once): ${await service.rotateSecret(id)}`)));
  webhooks
    .command('test')
    .description('queue a webhook.test delivery to the endpoint')
    .argument('<id>', 'webhook id')
    .action((id: string) => withService(async (service) => console.log(`test event ${await service.sendTest(id)} queued`)));
  webhooks
    .command('replay')
    .description("deliver the client's events again from this one on (same webhook-id as before)")
    .argument('<id>', 'webhook id')
    .argument('<event>', 'event id (ev_…)')
    .action((id: string, eventId: string) => withService(async (service) => (await service.replayFrom(id, eventId), console.log(`webhook ${id} replays from ${eventId}`))));
}
