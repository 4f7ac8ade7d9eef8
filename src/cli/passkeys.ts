// `mailcode clients passkeys <client>`: the client's relying party for passkeys — its id,
// the origins its portal runs on, and whether a passkey may sign in alone, is required, or is
// refused when its counter goes back. Without options, prints what is set.
import { type Command, InvalidArgumentError } from 'commander';
import { byCommandLine } from '../events/model.js';
import type { PasskeySettings } from '../passkeys/model.js';
import { checkRpId, underRpId } from '../passkeys/settings.js';
import { withServices } from './services.js';

const rpIdOption = (input: string): string => {
  const checked = checkRpId(input);
  if (!checked.ok) throw new InvalidArgumentError(checked.reason);
  return checked.value;
};
const originOption = (input: string, previous: string[] = []): string[] => [...previous, input];

export const describePasskeys = (s: PasskeySettings | undefined): string =>
  s
    ? [
        `passkeys: relying party ${s.rpId}`,
        ...s.origins.map(
          (o) => `  origin ${o}${underRpId(o, s.rpId) ? '' : ' (related: list it at /.well-known/webauthn)'}`,
        ),
        `  a passkey alone signs in: ${s.alone ? 'yes (usernameless, autofill)' : 'no (second factor only)'}`,
        `  required (no trusted browser stands in): ${s.required ? 'yes' : 'no'}`,
        `  a counter going back: ${s.counterStrict ? 'refused' : 'recorded and shown'}`,
      ].join('\n')
    : 'passkeys: not set up (give --rp-id and --origin)';

export function registerPasskeyCommands(clients: Command): void {
  clients
    .command('passkeys')
    .description("a client's relying party for passkeys (WebAuthn); without options, what is set")
    .argument('<client>', 'client id')
    .option('--rp-id <domain>', "the relying-party id: the portal's registrable domain (or localhost)", rpIdOption)
    .option(
      '--origin <origin>',
      'an origin the portal runs on, e.g. https://portal.acme.example (repeat; replaces the list)',
      originOption,
    )
    .option('--alone', 'a passkey may sign a person in alone (usernameless, the browser autofill)')
    .option('--no-alone', 'a passkey is the second factor only, after the email code (the default)')
    .option('--required', 'the portal signs its people in with a passkey: no trusted browser stands in')
    .option('--no-required', 'passkeys are one choice among the factors (the default)')
    .option('--counter-strict', 'refuse a sign-in whose counter went back (synced passkeys report 0: leave off)')
    .option('--no-counter-strict', 'record and show a counter going back (the default)')
    .addHelpText(
      'after',
      '\nExamples:\n  mailcode clients passkeys cl_abc123 --rp-id acme.example --origin https://portal.acme.example --alone\n  mailcode clients passkeys cl_abc123',
    )
    .action(
      (
        id: string,
        options: { rpId?: string; origin?: string[]; alone?: boolean; required?: boolean; counterStrict?: boolean },
        command: Command,
      ) => {
        const given = (option: string) => command.getOptionValueSource(option) === 'cli';
        const input = {
          ...(options.rpId !== undefined ? { rpId: options.rpId } : {}),
          ...(options.origin !== undefined ? { origins: options.origin } : {}),
          ...(given('alone') ? { alone: options.alone === true } : {}),
          ...(given('required') ? { required: options.required === true } : {}),
          ...(given('counterStrict') ? { counterStrict: options.counterStrict === true } : {}),
        };
        return withServices(async ({ clients, passkeySettings }) => {
          const client = await clients.get(id);
          const settings =
            Object.keys(input).length > 0
              ? await passkeySettings.setUp(client, input, byCommandLine)
              : await passkeySettings.get(client.id);
          console.log(describePasskeys(settings));
        });
      },
    );
}
