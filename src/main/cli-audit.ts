// The operator's view of the audit trail and of suppressions: `mailcode events tail`,
// `mailcode suppressions list|lift`, `mailcode clients rotate-key`.
import type { Command } from 'commander';
import { event, type AuditEvent } from '../events/model.js';
import type { Config } from '../shared/config.js';
import { hashApiKey, newApiKey } from '../shared/secrets.js';
import type { Store } from '../store/store.js';
import { SuppressionService } from '../suppression/service.js';
import { DomainError } from '../shared/domain-error.js';

type WithStore = <T>(fn: (store: Store, cfg: Config) => T | Promise<T>) => Promise<T>;

const byOperator = { actor: 'cli' as const, requestId: null };

/** One line per event: time, client, type, subject, masked address, facts. */
function line(e: AuditEvent): string {
  return [new Date(e.at).toISOString(), e.clientId, e.type, e.subject, e.maskedEmail ?? '-', e.actor, JSON.stringify(e.data)].join('\t');
}

/** Whole numbers within bounds, for --limit and --interval. */
function count(min: number, max: number) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`expected a whole number from ${min} to ${max}, got "${value}"`);
    return n;
  };
}

export function registerAuditCommands(program: Command, clients: Command, withStore: WithStore): void {
  program
    .command('events')
    .description('the audit trail')
    .command('tail')
    .description('print the newest events of every client, oldest first; with --follow, keep printing new ones')
    .option('--limit <n>', 'how many of the newest events to print first', count(0, 10_000), 20)
    .option('--follow', 'keep printing events as they are written (Ctrl-C stops)')
    .option('--interval <ms>', 'how often --follow looks for new events', count(50, 60_000), 1_000)
    .option('--json', 'print one JSON object per line')
    .action((options: { limit: number; follow?: boolean; interval: number; json?: boolean }) =>
      withStore(async (store) => {
        const print = (e: AuditEvent) => console.log(options.json ? JSON.stringify(e) : line(e));
        let seq = Math.max(0, (await store.events.lastSeq()) - options.limit);
        for (;;) {
          const batch = await store.events.after(seq, 1_000);
          for (const e of batch) print(e);
          if (batch.length > 0) seq = batch[batch.length - 1]!.seq;
          if (!options.follow) return;
          if (batch.length < 1_000) await new Promise((resolve) => setTimeout(resolve, options.interval));
        }
      }),
    );

  const suppressions = program.command('suppressions').description("addresses a client's mail bounced from (no code is sent to them until the suppression ends)");
  suppressions
    .command('list')
    .argument('<client>', 'client id')
    .option('--json', 'print JSON')
    .action((clientId: string, options: { json?: boolean }) =>
      withStore(async (store) => {
        const list = await new SuppressionService(store.suppressions, Date.now).list({ id: clientId });
        if (options.json) return console.log(JSON.stringify(list));
        for (const s of list) console.log([s.email, new Date(s.until).toISOString(), s.enhancedStatus ?? '-', s.reason].join('\t'));
      }),
    );
  suppressions
    .command('lift')
    .argument('<client>', 'client id')
    .argument('<email>', 'the suppressed address')
    .action((clientId: string, email: string) =>
      withStore(async (store) => {
        try {
          await new SuppressionService(store.suppressions, Date.now).lift({ id: clientId }, email, byOperator);
          console.log(`suppression of ${email} lifted`);
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          process.stderr.write(`mailcode: ${error.refusal.kind === 'suppression_not_found' ? `${email} is not suppressed for ${clientId}` : error.refusal.kind}\n`);
          process.exitCode = 1;
        }
      }),
    );

  clients
    .command('rotate-key')
    .description("give a client a new API key; the old one stops working at once")
    .argument('<id>', 'client id')
    .option('--json', 'print JSON')
    .action((id: string, options: { json?: boolean }) =>
      withStore(async (store) => {
        const apiKey = newApiKey();
        const rotated = event('client.key_rotated', Date.now(), { clientId: id, subject: id }, byOperator);
        if (!(await store.clients.rotateKey(id, hashApiKey(apiKey), [rotated]))) {
          process.stderr.write(`mailcode: no active client ${id}\n`);
          process.exitCode = 1;
          return;
        }
        console.log(options.json ? JSON.stringify({ clientId: id, apiKey }) : `new API key for ${id} (shown once, store it now): ${apiKey}`);
      }),
    );
}
