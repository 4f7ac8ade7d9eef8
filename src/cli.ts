#!/usr/bin/env node
// The `mailcode` command: serve, migrate, clients, keys, purge.
import { Command } from 'commander';
import { domainToASCII } from 'node:url';
import { KeyRing } from './assertions/keyring.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { openStore } from './app.js';
import { newId } from './ids.js';
import { purgeExpired } from './purge.js';
import { deriveKey, hashApiKey, newApiKey } from './secrets.js';
import type { Store } from './store/types.js';

function config(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`mailcode: configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

function withStore<T>(fn: (store: Store, cfg: Config) => T | Promise<T>): Promise<T> {
  const cfg = config();
  const store = openStore(cfg);
  return Promise.resolve(fn(store, cfg)).finally(() => store.close());
}

function keyRing(store: Store, cfg: Config) {
  return new KeyRing(store, deriveKey(cfg.CODE_SECRET, 'signing-keys'), cfg.ASSERTION_TTL_SECONDS * 1000, Date.now);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function normalizeDomain(input: string): string {
  const domain = domainToASCII(input.trim().replace(/^@/, '').replace(/\.$/, ''));
  if (!domain || !domain.includes('.')) {
    process.stderr.write(`mailcode: "${input}" is not a domain name\n`);
    process.exit(2);
  }
  return domain;
}

const program = new Command()
  .name('mailcode')
  .description('Email one-time-code verification for company addresses.')
  .showHelpAfterError();

program
  .command('serve')
  .description('start the HTTP service (configured by environment variables; see README)')
  .action(async () => {
    const { serve } = await import('./server.js');
    await serve(config());
  });

program
  .command('migrate')
  .description('apply database migrations (the server also does this at start)')
  .action(() => withStore(() => console.log('database is up to date')));

const clients = program.command('clients').description('manage portal clients and their API keys');

clients
  .command('create')
  .description('create a client and print its API key (shown once, stored only as a hash)')
  .requiredOption('--name <name>', 'display name, used in the mail ("Your code for <name>")')
  .option('--domain <domain>', 'allowed company email domain (repeat for more; subdomains included)', collect, [])
  .option('--from <address>', 'sender for this client\'s mail, e.g. "Acme <no-reply@acme.example>"')
  .option('--locale <tag>', 'default mail locale', 'en')
  .option('--json', 'print JSON')
  .addHelpText('after', '\nExample:\n  mailcode clients create --name "Acme Portal" --domain acme.example --json')
  .action((options: { name: string; domain: string[]; from?: string; locale: string; json?: boolean }) =>
    withStore((store) => {
      const apiKey = newApiKey();
      const client = store.createClient({
        id: newId('cl', 9),
        name: options.name,
        apiKeyHash: hashApiKey(apiKey),
        allowedDomains: options.domain.map(normalizeDomain),
        mailFrom: options.from ?? null,
        defaultLocale: options.locale,
        createdAt: Date.now(),
      });
      if (options.json) {
        console.log(JSON.stringify({ clientId: client.id, apiKey, name: client.name, allowedDomains: client.allowedDomains }));
      } else {
        console.log(`client ${client.id} (${client.name}) created`);
        console.log(`allowed domains: ${client.allowedDomains.join(', ') || '(any company domain)'}`);
        console.log(`API key (shown once, store it now): ${apiKey}`);
      }
    }),
  );

clients
  .command('list')
  .description('list clients (never their keys)')
  .option('--json', 'print JSON')
  .action((options: { json?: boolean }) =>
    withStore((store) => {
      const all = store.listClients();
      if (options.json) return console.log(JSON.stringify(all));
      for (const c of all) {
        const state = c.revokedAt ? `revoked ${new Date(c.revokedAt).toISOString()}` : 'active';
        console.log(`${c.id}\t${c.name}\t${c.allowedDomains.join(',') || '*'}\t${state}`);
      }
    }),
  );

clients
  .command('revoke')
  .description('revoke a client\'s API key at once')
  .argument('<id>', 'client id')
  .action((id: string) =>
    withStore((store) => {
      if (!store.revokeClient(id, Date.now())) {
        process.stderr.write(`mailcode: no active client ${id}\n`);
        process.exitCode = 1;
        return;
      }
      console.log(`client ${id} revoked`);
    }),
  );

program
  .command('keys')
  .description('manage assertion signing keys')
  .command('rotate')
  .description('make a new signing key; the old one stays in the JWKS until its tokens expire')
  .action(() =>
    withStore(async (store, cfg) => {
      const keys = keyRing(store, cfg);
      await keys.init();
      console.log(`new signing key ${await keys.rotate()}`);
    }),
  );

program
  .command('purge')
  .description('delete expired verifications past retention, old send events and unneeded keys')
  .action(() =>
    withStore(async (store, cfg) => {
      const keys = keyRing(store, cfg);
      await keys.init();
      console.log(JSON.stringify(purgeExpired(store, keys, cfg, Date.now())));
    }),
  );

await program.parseAsync(process.argv);
