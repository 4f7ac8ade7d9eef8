// `mailcode clients dkim create|list|rotate|retire|remove`, `clients dns [--check]` and
// `clients show`: a client's own DKIM keys, the DNS its mail needs, and how its mail is signed.
import { type Command, InvalidArgumentError } from 'commander';
import type { Client } from '../clients/model.js';
import { selectorPattern, type DkimKey, type Signing } from '../clients/dkim.js';
import { checkRecords, type DnsRecord } from '../clients/dns.js';
import { resolverLookup } from '../main/dns-lookup.js';
import { byCommandLine } from '../events/model.js';
import { withServices } from './services.js';
import { domainOption } from './options.js';

/** Hours to wait before a rotated key signs: 0 (at once) to 30 days. */
function waitOption(value: string): number {
  const hours = Number(value);
  if (!/^[0-9]+$/.test(value) || hours > 720) throw new InvalidArgumentError('expected whole hours from 0 to 720.');
  return hours;
}

function selectorOption(value: string): string {
  if (!selectorPattern.test(value))
    throw new InvalidArgumentError('expected a DNS label: a-z, 0-9 and inner hyphens, at most 63 characters.');
  return value;
}

/** One domain: the last --domain given. */
const oneDomain = (value: string) => domainOption(value).at(-1)!;

/** "signed for acme.example (its own key mc2026), aligned" — one line for list and show. */
export function signingLine(signing: Signing): string {
  const by =
    signing.by === 'own-key'
      ? `its own key ${signing.selector}`
      : signing.by === 'server'
        ? `the server-wide key ${signing.selector}`
        : null;
  if (!by) return `mail from ${signing.fromDomain} is not DKIM-signed: NOT ALIGNED (mailcode clients dkim create)`;
  return `mail from ${signing.fromDomain} is signed for ${signing.domain} (${by}), ${signing.aligned ? 'aligned with the From' : 'NOT ALIGNED with the From: DMARC fails where the domain enforces it (mailcode clients dkim create)'}`;
}

const recordLine = (r: DnsRecord) =>
  `${r.name}\t${r.type}\t${r.type === 'TXT' ? JSON.stringify(r.value) : r.value}\t; ${r.why}`;

/** A lookup through the configured resolvers (DNS_SERVERS) or the system's. */
export function registerDkimCommands(clients: Command): void {
  const dkim = clients
    .command('dkim')
    .description("a client's own DKIM keys, so its mail passes DMARC as its own (d=its domain)");

  dkim
    .command('create')
    .description(
      "make a key for the client's sending domain (its From's, or --domain); it signs at once; prints the TXT record to publish",
    )
    .argument('<client>', 'client id')
    .option('--domain <domain>', "the sending domain (default: the domain of the client's --from)", oneDomain)
    .option('--selector <selector>', 'the DNS label under _domainkey (default: mc and the date)', selectorOption)
    .addHelpText(
      'after',
      '\nExample:\n  mailcode clients dkim create cl_abc123 --domain acme.example --selector mc2026',
    )
    .action((clientId: string, options: { domain?: string; selector?: string }) =>
      withServices(async ({ dkim }) => {
        const { key, record } = await dkim.create(clientId, options, byCommandLine);
        console.log(
          `key ${key.selector} for ${key.domain} signs ${clientId}'s mail from ${key.domain} now. Publish:\n${recordLine(record)}`,
        );
      }),
    );

  dkim
    .command('rotate')
    .description(
      'make a new key beside the one that signs: publish both; the new one signs after --after hours; then retire the old one',
    )
    .argument('<client>', 'client id')
    .option('--domain <domain>', "the sending domain (default: the domain of the client's --from)", oneDomain)
    .option(
      '--selector <selector>',
      "the new key's selector (default: mc and the date it starts signing)",
      selectorOption,
    )
    .option('--after <hours>', 'hours until the new key signs (time for its record to spread)', waitOption, 48)
    .action((clientId: string, options: { domain?: string; selector?: string; after: number }) =>
      withServices(async ({ dkim }) => {
        const { key, record, replaces } = await dkim.rotate(
          clientId,
          { ...options, afterHours: options.after },
          byCommandLine,
        );
        console.log(
          [
            `key ${key.selector} for ${key.domain} signs from ${new Date(key.signsFrom).toISOString()}; ${replaces.selector} signs until then. Publish now, beside ${replaces.selector}'s record:`,
            recordLine(record),
            `Then: mailcode clients dkim retire ${clientId} ${replaces.selector}`,
          ].join('\n'),
        );
      }),
    );

  // Retire and remove take the same arguments: a key named by its selector (and domain).
  const endings = [
    {
      name: 'retire',
      description: 'stop a key signing for good (its record may be removed after)',
      said: (k: DkimKey) => `retired; its record ${k.selector}._domainkey.${k.domain} may be removed`,
    },
    { name: 'remove', description: 'delete a key at once (one made for the wrong domain, say)', said: () => 'removed' },
  ] as const;
  for (const ending of endings) {
    dkim
      .command(ending.name)
      .description(ending.description)
      .argument('<client>', 'client id')
      .argument('<selector>', "the key's selector", selectorOption)
      .option('--domain <domain>', 'when the selector is used for several domains', oneDomain)
      .action((clientId: string, selector: string, options: { domain?: string }) =>
        withServices(async ({ dkim: service }) => {
          const key = await service[ending.name](clientId, selector, options.domain, byCommandLine);
          console.log(`key ${key.selector} for ${key.domain} ${ending.said(key)}`);
        }),
      );
  }

  dkim
    .command('list')
    .description("a client's keys (or every client's), never the private half")
    .argument('[client]', 'client id')
    .option('--json', 'print JSON')
    .action((clientId: string | undefined, options: { json?: boolean }) =>
      withServices(async ({ dkim }) => {
        const keys = await dkim.list(clientId);
        if (options.json) return console.log(JSON.stringify(keys));
        for (const k of keys) {
          const state =
            k.retiredAt !== null
              ? `retired ${new Date(k.retiredAt).toISOString()}`
              : k.signsFrom > Date.now()
                ? `signs from ${new Date(k.signsFrom).toISOString()}`
                : 'signing';
          console.log(`${k.clientId}\t${k.domain}\t${k.selector}\t${state}`);
        }
      }),
    );

  clients
    .command('dns')
    .description("every DNS record the client's mail needs (DKIM, SPF, DMARC, bounce MX); --check resolves them")
    .argument('<client>', 'client id')
    .option('--check', 'resolve each record: published, missing or different (exit 1 unless all are published)')
    .action((clientId: string, options: { check?: boolean }) =>
      withServices(async ({ clients: service, dkim }, config) => {
        const client = await service.get(clientId);
        const records = await dkim.dnsRecords(client);
        console.log(signingLine(await dkim.signing(client)));
        if (!config.MAIL_SPF)
          console.log(
            "; SPF: set MAIL_SPF to the sending host's SPF mechanism (include:… or ip4:…) to have its record listed",
          );
        if (!options.check) {
          for (const r of records) console.log(recordLine(r));
          return;
        }
        const checked = await checkRecords(records, resolverLookup(config.DNS_SERVERS));
        for (const r of checked) {
          console.log(
            `${r.verdict.padEnd(9)}\t${r.type}\t${r.name}\t${r.verdict === 'published' ? '' : `want ${JSON.stringify(r.value)}`}${r.found.length ? `, found ${JSON.stringify(r.found)}` : ''}`,
          );
        }
        if (checked.some((r) => r.verdict !== 'published')) process.exitCode = 1;
      }),
    );

  clients
    .command('show')
    .description('one client: its settings and how its mail is signed')
    .argument('<client>', 'client id')
    .option('--json', 'print JSON')
    .action((clientId: string, options: { json?: boolean }) =>
      withServices(async ({ clients: service, dkim, relays }) => {
        const client = await service.get(clientId);
        const signing = await dkim.signing(client);
        const relay = await relays.shown(clientId);
        if (options.json) return console.log(JSON.stringify({ ...client, signing, relay: relay ?? null }));
        console.log(`${describeClient(client, relay)}\n${signingLine(signing)}`);
      }),
    );
}

/** A client's settings, one line each; `relay` is its own SMTP relay as it may be shown (no credentials). */
export function describeClient(client: Client, relay?: string): string {
  return [
    `client ${client.id} (${client.name})${client.revokedAt ? `, revoked ${new Date(client.revokedAt).toISOString()}` : ''}`,
    `allowed domains: ${client.allowedDomains.join(', ') || '(any company domain)'}`,
    `from: ${client.mailFrom ?? '(MAIL_FROM)'}${client.replyTo ? `, reply-to: ${client.replyTo}` : ''}`,
    `mail leaves through: ${relay ? `its own relay ${relay}` : "the server's (SMTP_URL)"}`,
    `support: ${client.support ?? '-'}, logo: ${client.logoUrl ?? '-'}, accent: ${client.accentColor ?? 'default'}`,
    `locale: ${client.defaultLocale}, code in subject: ${client.codeInSubject ? 'yes' : 'no'}, suppression after a bounce: ${client.suppressionHours} h`,
    `second factor: ${client.secondFactor === 'required' ? 'required (an authenticator app before the account opens)' : 'optional'}`,
    `trusted browsers: ${client.trustedBrowserDays} days (membership window ${client.membershipDays} days)`,
    `recovery by email waits: ${client.recoveryWaitHours} h${client.recoveryWaitHours === 0 ? ' (no wait: weaker)' : ''}, notices off: ${client.noticesOff.join(', ') || 'none'}`,
    `continue link: ${client.continueUrl ? `${client.continueUrl} (${client.continueAnyBrowser ? 'any browser: weaker, a mail scanner could use it' : 'only in the browser that asked'})` : 'none (the code alone)'}`,
  ].join('\n');
}
