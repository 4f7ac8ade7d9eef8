// What `mailcode clients` accepts, refused at the command line as a usage error: the
// settings' own checks (clients/settings.ts), which the clients service applies again.
import { InvalidArgumentError } from 'commander';
import { supportedLocales } from '../mail/render.js';
import {
  checkAccent,
  checkDomainName,
  checkHttpsUrl,
  checkLocale,
  checkName,
  checkSender,
  checkSupport,
  type Checked,
  maxRecoveryWaitHours,
} from '../clients/settings.js';
import { type NoticeKind, noticeKinds } from '../people/notices.js';

/** A refusal of the settings' own check (clients/settings.ts), as commander's usage error. */
function orUsageError(checked: Checked<string>): string {
  if (!checked.ok) throw new InvalidArgumentError(checked.reason);
  return checked.value;
}

export const domainOption = (input: string, previous: string[] = []): string[] => [
  ...previous,
  orUsageError(checkDomainName(input)),
];
export const accentOption = (input: string): string => orUsageError(checkAccent(input));
export const urlOption = (input: string): string => orUsageError(checkHttpsUrl(input));
/** `no-reply@acme.example` or `Acme Portal <no-reply@acme.example>`, one line. */
export const senderOption = (input: string): string => orUsageError(checkSender(input));
export const supportOption = (input: string): string => orUsageError(checkSupport(input));

export const localeOption = (input: string): string => orUsageError(checkLocale(input, supportedLocales));

/** A client's display name: it goes into the mail's subject and sender line. */
export const nameOption = (input: string): string => orUsageError(checkName(input));

/** Whole hours from 1 to a year. */
export function hoursOption(value: string): number {
  const hours = Number(value);
  if (!/^[0-9]+$/.test(value) || hours < 1 || hours > 8_760)
    throw new InvalidArgumentError('expected whole hours from 1 to 8760.');
  return hours;
}

/** How long a recovery by email waits: whole hours from 0 (weaker: see SECURITY.md) to a month. */
export function recoveryWaitOption(value: string): number {
  const hours = Number(value);
  if (!/^[0-9]+$/.test(value) || hours > maxRecoveryWaitHours)
    throw new InvalidArgumentError(`expected whole hours from 0 to ${maxRecoveryWaitHours}.`);
  return hours;
}

/** Whole days from `min` to `max`. */
export const daysOption =
  (min: number, max: number) =>
  (value: string): number => {
    const days = Number(value);
    if (!/^[0-9]+$/.test(value) || days < min || days > max)
      throw new InvalidArgumentError(`expected whole days from ${min} to ${max}.`);
    return days;
  };

/** Notice kinds, comma-separated ("none" for none): the ones a client does not mail. */
export function noticesOffOption(value: string): NoticeKind[] {
  const kinds = value === 'none' ? [] : value.split(',').map((kind) => kind.trim());
  const unknown = kinds.find((kind) => !(noticeKinds as readonly string[]).includes(kind));
  if (unknown !== undefined)
    throw new InvalidArgumentError(`"${unknown}" is no notice; expected none or some of ${noticeKinds.join(', ')}.`);
  return kinds as NoticeKind[];
}

/** A TCP port to listen on, 1-65535. */
export function portOption(value: string): number {
  const port = Number(value);
  if (!/^[0-9]+$/.test(value) || port < 1 || port > 65_535)
    throw new InvalidArgumentError('expected a port number from 1 to 65535.');
  return port;
}
