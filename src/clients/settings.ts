// What a client's settings may hold, checked where they are changed (ClientsService), so
// the CLI, the console and anything after them refuse the same things: a typo is refused
// instead of showing up broken in a mail, and nothing reaches the mail's HTML or headers
// that could change them (a colour is a colour, a URL is an https URL, a sender one line).
import { domainToASCII } from 'node:url';
import type { ClientSettings } from './model.js';
import { secondFactorPolicies } from './model.js';
import { loopbackHosts } from '../shared/domains.js';
import { noticeKinds } from '../shared/notice-kinds.js';

/** The longest a browser may be trusted: three months. */
export const maxTrustedBrowserDays = 90;

/** The longest a recovery by email may wait: a month. */
export const maxRecoveryWaitHours = 720;

/** A reason a value is refused, or the value as it is kept. */
export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };
const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const no = (reason: string): Checked<never> => ({ ok: false, reason });

export function checkDomainName(input: string): Checked<string> {
  const domain = domainToASCII(input.trim().replace(/^@/, '').replace(/\.$/, '')).toLowerCase();
  return domain?.includes('.') && domain.length <= 253 ? ok(domain) : no(`"${input}" is not a domain name.`);
}

export function checkAccent(input: string): Checked<string> {
  return /^#[0-9a-fA-F]{6}$/.test(input) ? ok(input.toLowerCase()) : no('expected a colour like #1f6feb.');
}

export function checkHttpsUrl(input: string): Checked<string> {
  return /^https:\/\/[^\s"'<>]+$/.test(input) && input.length <= 2_000 ? ok(input) : no('expected an https:// URL.');
}

/** An https URL; outside production also http to a loopback address (a portal on a laptop, a test). */
function checkLinkUrl(input: string, production: boolean): Checked<string> {
  if (
    !production &&
    /^http:\/\/[^\s"'<>]+$/.test(input) &&
    input.length <= 2_000 &&
    URL.canParse(input) &&
    loopbackHosts.has(new URL(input).hostname)
  )
    return ok(input);
  return checkHttpsUrl(input);
}

const mailbox = /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/;

/** `no-reply@acme.example` or `Acme Portal <no-reply@acme.example>`, one line. */
export function checkSender(input: string): Checked<string> {
  const address = /<([^<>]+)>\s*$/.exec(input)?.[1] ?? input;
  return /[\r\n]/.test(input) || !mailbox.test(address.trim()) || input.length > 320
    ? no('expected an address like "Acme <no-reply@acme.example>".')
    : ok(input.trim());
}

export function checkSupport(input: string, production = true): Checked<string> {
  if (/^https?:\/\//.test(input)) return checkLinkUrl(input, production);
  return mailbox.test(input) && input.length <= 320 ? ok(input) : no('expected a support address or an https:// URL.');
}

/** A language the mail is written in (`de-AT` counts as `de`), kept as given. */
export function checkLocale(input: string, locales: readonly string[]): Checked<string> {
  return locales.includes(input.toLowerCase().split(/[-_]/)[0]!)
    ? ok(input)
    : no(`expected one of ${locales.join(', ')}.`);
}

/** A client's display name: it goes into the mail's subject and sender line. */
export function checkName(input: string): Checked<string> {
  const name = input.trim();
  return !name || name.length > 100 || /[\u0000-\u001f\u007f]/.test(name)
    ? no('expected a name of 1 to 100 characters on one line.')
    : ok(name);
}

/**
 * The settings as they are kept, each given one checked (domains normalized); a refusal
 * names the setting. `locales` are the languages the mail is written in.
 */
export function checkSettings(
  changes: Partial<ClientSettings>,
  locales: readonly string[],
  options: { production?: boolean } = {},
): Checked<Partial<ClientSettings>> {
  const production = options.production ?? true;
  const kept: Partial<ClientSettings> = { ...changes };
  const each = <K extends keyof ClientSettings>(
    key: K,
    label: string,
    check: (v: NonNullable<ClientSettings[K]>) => Checked<NonNullable<ClientSettings[K]>>,
  ): string | undefined => {
    const value = changes[key];
    if (value === undefined || value === null) return undefined;
    const checked = check(value as NonNullable<ClientSettings[K]>);
    if (!checked.ok) return `${label}: ${checked.reason}`;
    kept[key] = checked.value;
    return undefined;
  };
  const refused =
    each('name', 'name', (v) => checkName(v)) ??
    each('mailFrom', 'sender', (v) => checkSender(v)) ??
    each('replyTo', 'reply-to', (v) => checkSender(v)) ??
    each('support', 'support', (v) => checkSupport(v, production)) ??
    each('logoUrl', 'logo URL', (v) => checkLinkUrl(v, production)) ??
    each('accentColor', 'accent colour', (v) => checkAccent(v)) ??
    each('defaultLocale', 'language', (v) => checkLocale(v, locales)) ??
    each('secondFactor', 'second factor', (v) =>
      (secondFactorPolicies as readonly string[]).includes(v)
        ? ok(v)
        : no(`expected one of ${secondFactorPolicies.join(', ')}.`),
    );
  if (refused) return no(refused);
  if (changes.recoveryWaitHours !== undefined) {
    const hours = changes.recoveryWaitHours;
    if (!Number.isInteger(hours) || hours < 0 || hours > maxRecoveryWaitHours)
      return no(`recovery wait: expected whole hours from 0 to ${maxRecoveryWaitHours}.`);
  }
  if (changes.trustedBrowserDays !== undefined) {
    const days = changes.trustedBrowserDays;
    if (!Number.isInteger(days) || days < 1 || days > maxTrustedBrowserDays)
      return no(`trusted browsers: expected whole days from 1 to ${maxTrustedBrowserDays}.`);
  }
  if (changes.membershipDays !== undefined) {
    const days = changes.membershipDays;
    if (!Number.isInteger(days) || days < 1 || days > 365)
      return no('membership window: expected whole days from 1 to 365.');
  }
  if (changes.noticesOff) {
    const unknown = changes.noticesOff.find((kind) => !(noticeKinds as readonly string[]).includes(kind));
    if (unknown !== undefined) return no(`notices off: "${unknown}" is not one of ${noticeKinds.join(', ')}.`);
    kept.noticesOff = [...new Set(changes.noticesOff)];
  }
  if (changes.allowedDomains) {
    const domains: string[] = [];
    for (const d of changes.allowedDomains) {
      const checked = checkDomainName(d);
      if (!checked.ok) return no(`domain: ${checked.reason}`);
      domains.push(checked.value);
    }
    kept.allowedDomains = [...new Set(domains)];
  }
  return ok(kept);
}
