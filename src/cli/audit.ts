// The operator's view of the audit trail and of suppressions: `mailcode events tail`,
// `mailcode suppressions list|lift`, `mailcode clients rotate-key`.
import type { Command } from 'commander';
import type { AuditEvent } from '../events/model.js';
import { byCommandLine } from '../events/model.js';
import { withServices } from './services.js';

/** One line per event: time, client, type, subject, masked address, facts. */
function line(e: AuditEvent): string {
  return [
    new Date(e.at).toISOString(),
    e.clientId,
    e.type,
    e.subject,
    e.maskedEmail ?? '-',
    e.actor,
    JSON.stringify(e.data),
  ].join('\t');
}

/** Whole numbers within bounds, for --limit and --interval. */
function count(min: number, max: number) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(`expected a whole number from ${min} to ${max}, got "${value}"`);
    return n;
  };
}

export function registerAuditCommands(program: Command, clients: Command): void {
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
      withServices(async ({ events }) => {
        const print = (e: AuditEvent) => console.log(options.json ? JSON.stringify(e) : line(e));
        let seq = Math.max(0, (await events.lastSeq()) - options.limit);
        for (;;) {
          const batch = await events.after(seq, 1_000);
          for (const e of batch) print(e);
          if (batch.length > 0) seq = batch[batch.length - 1]!.seq;
          if (!options.follow) return;
          if (batch.length < 1_000) await new Promise((resolve) => setTimeout(resolve, options.interval));
        }
      }),
    );

  const suppressions = program
    .command('suppressions')
    .description("addresses a client's mail bounced from (no code is sent to them until the suppression ends)");
  suppressions
    .command('list')
    .argument('<client>', 'client id')
    .option('--json', 'print JSON')
    .action((clientId: string, options: { json?: boolean }) =>
      withServices(async ({ suppressions }) => {
        const list = await suppressions.list({ id: clientId });
        if (options.json) return console.log(JSON.stringify(list));
        for (const s of list)
          console.log([s.email, new Date(s.until).toISOString(), s.enhancedStatus ?? '-', s.reason].join('\t'));
      }),
    );
  suppressions
    .command('lift')
    .argument('<client>', 'client id')
    .argument('<email>', 'the suppressed address')
    .action((clientId: string, email: string) =>
      withServices(async ({ suppressions }) => {
        await suppressions.lift({ id: clientId }, email, byCommandLine);
        console.log(`suppression of ${email} lifted`);
      }),
    );

  clients
    .command('rotate-key')
    .description('give a client a new API key; the old one stops working at once')
    .argument('<id>', 'client id')
    .option('--json', 'print JSON')
    .action((id: string, options: { json?: boolean }) =>
      withServices(async ({ clients }) => {
        const apiKey = await clients.rotateKey(id, byCommandLine);
        console.log(
          options.json
            ? JSON.stringify({ clientId: id, apiKey })
            : `new API key for ${id} (shown once, store it now): ${apiKey}`,
        );
      }),
    );
}
