// Where a client's continue link may point: its own portal. https on one of the client's
// domains (its allowed recipient domains, or its sender's) — a link to somewhere else in a
// mail signed as the portal's would be a phishing link with mailcode's name on it. Plain
// http only to a loopback address outside production, for a portal on a laptop.
import { loopbackHosts, onDomain } from '../shared/domains.js';
import { domainOf } from './dkim.js';

export type ContinueUrlVerdict = { ok: true; url: string } | { ok: false; reason: string };

/** The domains a continue link may be on: the allowed ones and the sender's. */
export function clientDomains(client: { allowedDomains: string[]; mailFrom: string | null }): string[] {
  const sender = client.mailFrom ? domainOf(client.mailFrom) : undefined;
  return [...new Set([...client.allowedDomains, ...(sender ? [sender] : [])].map((d) => d.toLowerCase()))];
}

export function checkContinueUrl(input: string, domains: string[], production: boolean): ContinueUrlVerdict {
  if (input.length > 2000) return { ok: false, reason: 'longer than 2000 characters' };
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return { ok: false, reason: 'not a URL' };
  }
  if (url.username || url.password) return { ok: false, reason: 'a URL with credentials' };
  if (url.hash || input.includes('#'))
    return { ok: false, reason: 'it has a fragment: mailcode adds #mc=<token> itself' };
  if (url.protocol === 'http:' && loopbackHosts.has(url.hostname)) {
    return production ? { ok: false, reason: 'plain http is refused in production' } : { ok: true, url: url.href };
  }
  if (url.protocol !== 'https:')
    return { ok: false, reason: 'https:// is required (http:// only to localhost outside production)' };
  const host = url.hostname.toLowerCase();
  if (domains.length === 0)
    return { ok: false, reason: 'the client has no domain to check it against: give it --domain or --from first' };
  if (!domains.some((d) => onDomain(host, d)))
    return { ok: false, reason: `${host} is not on the client's domains (${domains.join(', ')})` };
  return { ok: true, url: url.href };
}
