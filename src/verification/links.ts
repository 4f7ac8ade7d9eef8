// Continue links: one random token per code mail, in the link's fragment (`#mc=…`), so no
// server log or Referer sees it. Stored only as a keyed hash, like the code, and with the
// keyed hash of the browser binding the portal gave for the send: the hash of a random
// value the portal keeps in an HttpOnly cookie of the browser that asked. A mail scanner
// that opens the link — even one that runs the page and clicks its button — has no such
// cookie, so its click is refused and uses up nothing.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** 24 random bytes (192 bits), base64url: 32 characters. */
export const linkTokenPattern = '^[A-Za-z0-9_-]{32}$';

/** What a portal passes: a hash (hex or base64url) of at least 128 bits of its cookie's value. */
export const browserBindingPattern = '^[A-Za-z0-9_-]{22,128}$';
const bindingShape = new RegExp(browserBindingPattern);

/** Whether a binding has the shape of one (the schema says so too; the services check again). */
export const isBrowserBinding = (value: string): boolean => bindingShape.test(value);

/** What a refusal of a malformed binding says. */
export const badBrowserBinding = 'browserBinding must be 22-128 characters of A-Z, a-z, 0-9, - and _.';

export function newLinkToken(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * The token's stored form, found by equality (an index), not compared: a token is 192
 * random bits and its hash a keyed 256-bit MAC, so a lookup's timing tells a guesser
 * nothing they could use.
 */
export function hashLinkToken(key: Buffer, token: string): string {
  return createHmac('sha256', key).update('link\0').update(token).digest('base64url');
}

export function hashBrowserBinding(key: Buffer, binding: string): string {
  return createHmac('sha256', key).update('browser\0').update(binding).digest('base64url');
}

/** Whether `binding` is the one stored with the link, under any key (CODE_SECRET rotation), in constant time. */
export function bindingMatches(keys: readonly Buffer[], binding: string | undefined, stored: string | null): boolean {
  if (binding === undefined || stored === null) return false;
  const storedBuffer = Buffer.from(stored);
  let matched = false;
  for (const key of keys) {
    const candidate = Buffer.from(hashBrowserBinding(key, binding));
    matched = (candidate.length === storedBuffer.length && timingSafeEqual(candidate, storedBuffer)) || matched;
  }
  return matched;
}

/** The link in the mail: the client's page, the token in its fragment. */
export function continueLink(continueUrl: string, token: string): string {
  return `${continueUrl}#mc=${token}`;
}
