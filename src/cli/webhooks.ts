// `mailcode webhooks add|list|remove|rotate-secret|test|replay`: a client's endpoints.
import type { Command } from 'commander';
import type { WebhookService } from '../webhooks/service.js';
import { byCommandLine } from '../events/model.js';
import { withServices } from './services.js';

export function registerWebhookCommands(program: Command): void {
  const webhooks = program
    .command('webhooks')
    .description("a client's webhook endpoints (events signed per Standard Webhooks)");
  const withService = <T>(fn: (service: WebhookService) => Promise<T>) => withServices(({ webhooks }) => fn(webhooks));

  webhooks
    .command('add')
    .description('add an endpoint; prints its signing secret once')
    .argument('<client>', 'client id')
    .argument('<url>', 'https URL (http only to a loopback address, outside production)')
    .option(
      '--event <type>',
      'an event type it hears (repeat for more; default: every type)',
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .option('--json', 'print JSON')
    .action((clientId: string, url: string, options: { event: string[]; json?: boolean }) =>
      withService(async (service) => {
        const { endpoint, secret } = await service.add(clientId, url, options.event, byCommandLine);
        console.log(
          options.json
            ? JSON.stringify({ ...endpoint, secret })
            : `webhook ${endpoint.id} → ${endpoint.url}\nsigning secret (shown once, store it now): ${secret}`,
        );
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
        for (const w of list)
          console.log(
            [w.id, w.clientId, w.status, w.url, w.eventTypes.join(',') || '*', w.disabledReason ?? ''].join('\t'),
          );
      }),
    );
  webhooks
    .command('remove')
    .argument('<id>', 'webhook id')
    .action((id: string) =>
      withService(async (service) => {
        await service.remove(id, byCommandLine);
        console.log(`webhook ${id} removed`);
      }),
    );
  webhooks
    .command('rotate-secret')
    .description('a new signing secret, at once (update the receiver first to accept both)')
    .argument('<id>', 'webhook id')
    .action((id: string) =>
      withService(async (service) =>
        console.log(`new signing secret for ${id} (shown once): ${await service.rotateSecret(id, byCommandLine)}`),
      ),
    );
  webhooks
    .command('test')
    .description('queue a webhook.test delivery to the endpoint')
    .argument('<id>', 'webhook id')
    .action((id: string) =>
      withService(async (service) => console.log(`test event ${await service.sendTest(id, byCommandLine)} queued`)),
    );
  webhooks
    .command('replay')
    .description("deliver the client's events again from this one on (same webhook-id as before)")
    .argument('<id>', 'webhook id')
    .argument('<event>', 'event id (ev_…)')
    .action((id: string, eventId: string) =>
      withService(async (service) => {
        await service.replayFrom(id, eventId);
        console.log(`webhook ${id} replays from ${eventId}`);
      }),
    );
}
