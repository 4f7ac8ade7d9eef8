// The `mailcode` command's definition: serve, qa, migrate, clients, keys, preview, purge,
// events, suppressions, webhooks. A fresh program per run (Commander keeps parsed values
// on it), so the tests can run commands in their own process as the binary does.
import { Command, Option } from 'commander';
import { secondFactorPolicies, type Client, type SecondFactorPolicy } from '../clients/model.js';
import { maxTrustedBrowserDays } from '../clients/settings.js';
import type { DkimService } from '../clients/dkim-service.js';
import { checkRelayUrl } from '../clients/relay-service.js';
import { byCommandLine } from '../events/model.js';
import { type NoticeKind, noticeKinds } from '../people/notices.js';
import { registerPasskeyCommands } from './passkeys.js';
import { config, withServices } from './services.js';
import { registerAuditCommands } from './audit.js';
import { registerWebhookCommands } from './webhooks.js';
import { registerOperatorCommands } from './operators.js';
import { describeClient, registerDkimCommands, signingLine } from './dkim.js';
import {
  accentOption,
  domainOption,
  hoursOption,
  localeOption,
  daysOption,
  nameOption,
  noticesOffOption,
  portOption,
  recoveryWaitOption,
  senderOption,
  supportOption,
  urlOption,
} from './options.js';

/** A usage error: one line naming what is wrong, exit code 2 (like a bad configuration). */
export const usageExitCode = 2;

export function mailcodeProgram(): Command {
  const program = new Command()
    .name('mailcode')
    .description('Email one-time-code verification for company addresses.')
    // Commander's own refusals (a bad option value, a missing argument, an unknown option)
    // leave as one line and exit 2; subcommands inherit both settings.
    .configureOutput({ outputError: (message, write) => write(`mailcode: ${message.replace(/^error: /, '')}`) })
    .exitOverride((error) => {
      throw error;
    })
    .addHelpText(
      'after',
      `
Configuration comes from environment variables (see README, .env.example).

Examples:
  mailcode serve                                         start on the embedded defaults
  mailcode qa                                            mailcode + Mailpit's web UI + a demo client (npm run qa)
  mailcode clients create --name "Acme Portal" --domain acme.example
  mailcode clients list
  mailcode clients revoke cl_abc123
  mailcode clients rotate-key cl_abc123
  mailcode keys rotate
  mailcode events tail --follow
  mailcode operators create --email ann@acme.example --role admin
  mailcode webhooks add cl_abc123 https://portal.acme.example/hooks/mailcode --event mail.bounced
  mailcode suppressions list cl_abc123
  mailcode preview --locale de
  mailcode <command> --help                              details of one command`,
    );

  program
    .command('serve')
    .description('start the HTTP service (configured by environment variables; see README)')
    .action(async () => {
      const { serve } = await import('../main/server.js');
      await serve(await config());
    });

  program
    .command('qa')
    .description(
      'start mailcode with Mailpit (web UI and SMTP, on loopback) and a demo client, for QA; npm run qa builds Mailpit first',
    )
    .option('--port <port>', "mailcode's port", portOption, 3000)
    .option('--mailpit-port <port>', "Mailpit's web UI and API", portOption, 8025)
    .option('--smtp-port <port>', "Mailpit's SMTP port", portOption, 1025)
    .option('--dir <dir>', 'the data folder of both', 'data/qa')
    .action(async (options: { port: number; mailpitPort: number; smtpPort: number; dir: string }) => {
      const { mailpitBinary, mailpitBuildPath } = await import('../qa/mailpit.js');
      const binary = mailpitBinary();
      if (!binary) {
        process.stderr.write(
          `mailcode: Mailpit is not built yet (${mailpitBuildPath}): run npm run qa, or bash scripts/install-mailpit.sh\n`,
        );
        process.exit(1);
      }
      const { qaBanner, startQa } = await import('../qa/qa.js');
      const qa = await startQa({ mailpitBinary: binary, ...options });
      process.stdout.write(qaBanner(qa));
      let stopping = false;
      const stop = () => {
        if (stopping) return;
        stopping = true;
        process.stdout.write('\nstopping mailcode and Mailpit…\n');
        qa.stop().then(
          () => process.exit(0),
          (error: unknown) => {
            console.error(error);
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });

  program
    .command('migrate')
    .description('apply database migrations (the server also does this at start)')
    .action(() => withServices(() => console.log('database is up to date')));

  const clients = program.command('clients').description('manage portal clients and their API keys');

  /** Branding options shared by `clients create` and `clients update`. */
  function brandingOptions(command: Command): Command {
    return command
      .option(
        '--from <address>',
        'sender of this client\'s mail, e.g. "Acme Portal <no-reply@acme.example>"',
        senderOption,
      )
      .option('--reply-to <address>', 'Reply-To of the mail', senderOption)
      .option('--support <contact>', 'support address or https:// URL shown in the mail', supportOption)
      .option('--logo-url <url>', 'https:// URL of a logo (about 120 px wide) shown at the top', urlOption)
      .option('--accent <colour>', 'accent colour, e.g. #1f6feb', accentOption)
      .option('--locale <tag>', 'default mail locale when a request names none', localeOption)
      .option('--no-code-in-subject', 'keep the code out of the subject line')
      .option(
        '--suppression-hours <n>',
        'how long an address stays suppressed after a hard bounce (default 24)',
        hoursOption,
      )
      .addOption(
        new Option(
          '--second-factor <policy>',
          'required: the portal opens no account without an authenticator app (GET /totp/:userRef says required)',
        ).choices(secondFactorPolicies),
      )
      .option(
        '--recovery-wait-hours <n>',
        'how long a recovery of a lost authenticator by email waits before it removes the app (default 24; 0 is weaker)',
        recoveryWaitOption,
      )
      .option(
        '--trusted-browser-days <n>',
        'how long a browser the person trusted skips the second factor (default 30, at most 90)',
        daysOption(1, maxTrustedBrowserDays),
      )
      .option(
        '--membership-days <n>',
        "a trusted browser never stands in once the person's last email proof is older (default 30)",
        daysOption(1, 365),
      )
      .option(
        '--notices-off <kinds>',
        `notices this client does not mail, comma-separated, or "none" (${noticeKinds.join(', ')})`,
        noticesOffOption,
      );
  }

  interface BrandingFlags {
    from?: string;
    replyTo?: string;
    support?: string;
    logoUrl?: string;
    accent?: string;
    locale?: string;
    codeInSubject?: boolean;
    suppressionHours?: number;
    secondFactor?: SecondFactorPolicy;
    recoveryWaitHours?: number;
    noticesOff?: NoticeKind[];
    trustedBrowserDays?: number;
    membershipDays?: number;
  }

  function brandingSettings(options: BrandingFlags) {
    return {
      ...(options.from !== undefined ? { mailFrom: options.from } : {}),
      ...(options.replyTo !== undefined ? { replyTo: options.replyTo } : {}),
      ...(options.support !== undefined ? { support: options.support } : {}),
      ...(options.logoUrl !== undefined ? { logoUrl: options.logoUrl } : {}),
      ...(options.accent !== undefined ? { accentColor: options.accent } : {}),
      ...(options.locale !== undefined ? { defaultLocale: options.locale } : {}),
      ...(options.suppressionHours !== undefined ? { suppressionHours: options.suppressionHours } : {}),
      ...(options.secondFactor !== undefined ? { secondFactor: options.secondFactor } : {}),
      ...(options.recoveryWaitHours !== undefined ? { recoveryWaitHours: options.recoveryWaitHours } : {}),
      ...(options.noticesOff !== undefined ? { noticesOff: options.noticesOff } : {}),
      ...(options.trustedBrowserDays !== undefined ? { trustedBrowserDays: options.trustedBrowserDays } : {}),
      ...(options.membershipDays !== undefined ? { membershipDays: options.membershipDays } : {}),
    };
  }

  brandingOptions(
    clients
      .command('create')
      .description('create a client and print its API key (shown once, stored only as a hash)')
      .requiredOption('--name <name>', 'display name, used in the mail ("Your code for <name>")', nameOption)
      .option(
        '--domain <domain>',
        'allowed company email domain (repeat for more; subdomains included)',
        domainOption,
        [],
      ),
  )
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  mailcode clients create --name "Acme Portal" --domain acme.example --json\n  mailcode clients create --name "Acme" --domain acme.example --from "Acme <no-reply@acme.example>" --support https://help.acme.example --locale de',
    )
    .action((options: BrandingFlags & { name: string; domain: string[]; json?: boolean }) =>
      withServices(async ({ clients, dkim }) => {
        const settings = {
          name: options.name,
          allowedDomains: options.domain,
          ...brandingSettings(options),
          codeInSubject: options.codeInSubject !== false,
        };
        const { client, apiKey } = await clients.create(settings, byCommandLine);
        if (options.json) {
          console.log(JSON.stringify({ clientId: client.id, apiKey, ...client, id: undefined }));
        } else {
          console.log(`${describeClient(client)}\nAPI key (shown once, store it now): ${apiKey}`);
        }
        if (client.mailFrom) await warnUnaligned(client, dkim);
      }),
    );

  brandingOptions(
    clients
      .command('update')
      .description("change a client's name, domains or mail branding")
      .argument('<id>', 'client id')
      .option('--name <name>', 'display name used in the mail', nameOption)
      .option('--domain <domain>', 'replace the allowed domains (repeat for more)', domainOption),
  )
    .option('--code-in-subject', 'put the code in the subject line again')
    .option(
      '--smtp-url <url>',
      "this client's own relay, e.g. smtps://user:pass@smtp.office365.com:587 (sealed at rest, never printed back)",
    )
    .option('--no-smtp-url', "back to the server's SMTP_URL")
    .option(
      '--continue-url <url>',
      'the portal page a "Continue" button in the code mail opens (https on the client\'s domains); the token follows in #mc=…',
    )
    .option('--no-continue-url', 'the code mail carries the code alone')
    .option(
      '--continue-any-browser',
      'the link works in any browser, not only the one that asked (weaker: a mail scanner could use it)',
    )
    .option('--no-continue-any-browser', 'the link works only in the browser that asked (the default)')
    .addHelpText(
      'after',
      '\nExamples:\n  mailcode clients update cl_abc123 --accent "#0a7d4f" --support support@acme.example --no-code-in-subject\n  mailcode clients update cl_abc123 --smtp-url smtps://user:pass@relay.acme.example:465\n  mailcode clients update cl_abc123 --continue-url https://portal.acme.example/verify-email',
    )
    .action(
      (
        id: string,
        options: BrandingFlags & {
          name?: string;
          domain?: string[];
          smtpUrl?: string | false;
          continueUrl?: string | false;
          continueAnyBrowser?: boolean;
        },
        command: Command,
      ) => {
        const given = (option: string) => command.getOptionValueSource(option) === 'cli';
        const codeInSubjectGiven = given('codeInSubject');
        const relayGiven = command.getOptionValueSource('smtpUrl') === 'cli';
        const changes = {
          ...(options.name !== undefined ? { name: options.name } : {}),
          ...(options.domain !== undefined ? { allowedDomains: options.domain } : {}),
          ...brandingSettings(options),
          ...(codeInSubjectGiven ? { codeInSubject: options.codeInSubject !== false } : {}),
          ...(given('continueUrl') ? { continueUrl: options.continueUrl || null } : {}),
          ...(given('continueAnyBrowser') ? { continueAnyBrowser: options.continueAnyBrowser === true } : {}),
        };
        if (Object.keys(changes).length === 0 && !relayGiven) {
          command.error('nothing to change: give at least one option (see mailcode clients update --help)', {
            exitCode: usageExitCode,
          });
        }
        if (relayGiven && typeof options.smtpUrl === 'string') {
          const checked = checkRelayUrl(options.smtpUrl);
          if (!checked.ok)
            command.error(`option '--smtp-url <url>' argument refused: ${checked.reason}`, { exitCode: usageExitCode });
        }
        return withServices(async ({ clients, dkim, relays }) => {
          const client = Object.keys(changes).length
            ? await clients.update(id, changes, byCommandLine)
            : await clients.get(id);
          if (relayGiven) {
            if (typeof options.smtpUrl === 'string') await relays.set(id, options.smtpUrl, byCommandLine);
            else await relays.clear(id, byCommandLine);
          }
          console.log(describeClient(client, await relays.shown(id)));
          if (changes.mailFrom !== undefined) await warnUnaligned(client, dkim);
        });
      },
    );

  clients
    .command('list')
    .description('list clients (never their keys)')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) =>
      withServices(async ({ clients, dkim }) => {
        const all = await Promise.all(
          (await clients.list()).map(async (c) => ({ ...c, signing: await dkim.signing(c) })),
        );
        if (options.json) return console.log(JSON.stringify(all));
        for (const c of all) {
          const state = c.revokedAt ? `revoked ${new Date(c.revokedAt).toISOString()}` : 'active';
          // No list: any company domain, which is not the same as any domain.
          const accepts = c.allowedDomains.join(',') || 'any company domain (consumer and disposable mail refused)';
          const signed = c.signing.domain
            ? `signed d=${c.signing.domain}${c.signing.aligned ? '' : ' (NOT ALIGNED with the From)'}`
            : 'not signed (NOT ALIGNED)';
          console.log(`${c.id}\t${c.name}\t${accepts}\t${state}\t${signed}`);
        }
      }),
    );

  /** Said on stderr after a sender is set: its mail will fail DMARC where the domain enforces it. */
  async function warnUnaligned(client: Client, dkim: DkimService) {
    const signing = await dkim.signing(client);
    if (!signing.aligned) process.stderr.write(`mailcode: warning: ${signingLine(signing)}\n`);
  }

  registerDkimCommands(clients);
  registerPasskeyCommands(clients);

  clients
    .command('revoke')
    .description("revoke a client's API key at once")
    .argument('<id>', 'client id')
    .action((id: string) =>
      withServices(async ({ clients }) => {
        await clients.revoke(id, byCommandLine);
        console.log(`client ${id} revoked`);
      }),
    );

  program
    .command('keys')
    .description('manage assertion signing keys')
    .command('rotate')
    .description('make a new signing key; the old one stays in the JWKS until its tokens expire')
    .action(() => withServices(async ({ keys }) => console.log(`new signing key ${await keys.rotate()}`)));

  program
    .command('preview')
    .description('render the code mail to HTML and text files, for designers and translators')
    .option('--locale <tag>', 'one locale (default: every shipped locale)', localeOption)
    .option('--client <id>', "use this client's name and branding")
    .option('--out <dir>', 'where to write the files', 'preview')
    .addHelpText(
      'after',
      '\nExamples:\n  mailcode preview --locale de\n  mailcode preview --client cl_abc123 --out /tmp/mail',
    )
    .action(async (options: { locale?: string; client?: string; out: string }) => {
      const { writePreviews } = await import('../mail/preview.js');
      const client = options.client ? await withServices(({ clients }) => clients.get(options.client!)) : undefined;
      if (options.client && !client) return;
      for (const file of writePreviews(options.out, options.locale ? [options.locale] : undefined, client))
        console.log(file);
    });

  program
    .command('purge')
    .description('delete expired verifications past retention, old send events and unneeded keys')
    .action(() => withServices(async ({ purge }) => console.log(JSON.stringify(await purge()))));

  registerAuditCommands(program, clients);
  registerWebhookCommands(program);
  registerOperatorCommands(program);

  return program;
}
