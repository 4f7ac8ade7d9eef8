// Checks for what `mailcode clients` accepts, so a typo is refused at the command line
// instead of showing up broken in a mail.
import { domainToASCII } from 'node:url';
import { InvalidArgumentError } from 'commander';
import { supportedLocales } from '../mail/render.js';

export function domainOption(input: string, previous: string[] = []): string[] {
  const domain = domainToASCII(input.trim().replace(/^@/, '').replace(/\.$/, ''));
  if (!domain || !domain.includes('.')) throw new InvalidArgumentError(`"${input}" is not a domain name.`);
  return [...previous, domain];
}

export function accentOption(input: string): string {
  if (!/^#[0-9a-fA-F]{6}$/.test(input)) throw new InvalidArgumentError('expected a colour like #1f6feb.');
  return input.toLowerCase();
}

export function urlOption(input: string): string {
  if (!/^https:\/\/[^\s"'<>]+$/.test(input)) throw new InvalidArgumentError('expected an https:// URL.');
  return input;
}

const mailbox = /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/;

/** `no-reply@acme.example` or `Acme Portal <no-reply@acme.example>`, one line. */
export function senderOption(input: string): string {
  const address = /<([^<>]+)>\s*$/.exec(input)?.[1] ?? input;
  if (/[\r\n]/.test(input) || !mailbox.test(address.trim())) throw new InvalidArgumentError('expected an address like "Acme <no-reply@acme.example>".');
  return input.trim();
}

export function supportOption(input: string): string {
  if (/^https:\/\//.test(input)) return urlOption(input);
  if (mailbox.test(input)) return input;
  throw new InvalidArgumentError('expected a support address or an https:// URL.');
}

export function localeOption(input: string): string {
  const language = input.toLowerCase().split(/[-_]/)[0]!;
  if (!supportedLocales.includes(language)) throw new InvalidArgumentError(`expected one of ${supportedLocales.join(', ')}.`);
  return input;
}

/** A client's display name: it goes into the mail's subject and sender line. */
export function nameOption(input: string): string {
  const name = input.trim();
  if (!name || name.length > 100 || /[\u0000-\u001f\u007f]/.test(name)) throw new InvalidArgumentError('expected a name of 1 to 100 characters on one line.');
  return name;
}

/** Whole hours from 1 to a year. */
export function hoursOption(value: string): number {
  const hours = Number(value);
  if (!/^[0-9]+$/.test(value) || hours < 1 || hours > 8_760) throw new InvalidArgumentError('expected whole hours from 1 to 8760.');
  return hours;
}

/** A TCP port to listen on, 1-65535. */
export function portOption(value: string): number {
  const port = Number(value);
  if (!/^[0-9]+$/.test(value) || port < 1 || port > 65_535) throw new InvalidArgumentError('expected a port number from 1 to 65535.');
  return port;
}
