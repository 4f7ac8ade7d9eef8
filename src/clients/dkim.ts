// A client's own DKIM keys: mail whose From is on a domain the client holds a key for is
// signed for that domain (d=acme.example), so a receiver's DMARC check finds it aligned with
// the From and the code arrives as the portal's own mail. The rules of which key signs, and
// what the DNS must say, live here.
import { onDomain } from '../shared/domains.js';

/** One key of one client for one sending domain. Only the public half is ever shown. */
export interface DkimKey {
  id: string;
  clientId: string;
  /** Lower-case punycode, e.g. acme.example. */
  domain: string;
  /** The DNS label under _domainkey, e.g. mc2026. */
  selector: string;
  /** The public key, base64 DER (SubjectPublicKeyInfo): the `p=` of the TXT record. */
  publicKey: string;
  createdAt: number;
  /** From when it signs: at once for a new key, after the stated wait for a rotation's. */
  signsFrom: number;
  /** When it stopped signing for good (its record may then be removed). */
  retiredAt: number | null;
}

export interface NewDkimKey extends Omit<DkimKey, 'retiredAt'> {
  /** The private key (PKCS#8 PEM), sealed with the DKIM key (shared/secrets.ts). */
  privateKeySealed: string;
}

/** A DNS label: letters, digits and inner hyphens, at most 63 characters. */
export const selectorPattern = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Where the record goes: mc2026._domainkey.acme.example. */
export const dkimRecordName = (key: Pick<DkimKey, 'selector' | 'domain'>) => `${key.selector}._domainkey.${key.domain}`;

/** What the TXT record says (RFC 6376 §3.6.1). */
export const dkimRecordValue = (key: Pick<DkimKey, 'publicKey'>) => `v=DKIM1; k=rsa; p=${key.publicKey}`;

/** Newest first: among a domain's keys, the one that signs at `now` (the newest whose wait is over), if any. */
export function signingKey<K extends DkimKey>(keys: K[], domain: string, now: number): K | undefined {
  return keys
    .filter((k) => k.domain === domain && k.retiredAt === null && k.signsFrom <= now)
    .sort((a, b) => b.signsFrom - a.signsFrom || b.createdAt - a.createdAt)[0];
}

/** The domain of an address or "Name <address>". */
export function domainOf(from: string): string {
  return (/@([^\s>]+)>?\s*$/.exec(from)?.[1] ?? '').toLowerCase();
}

/**
 * DMARC's relaxed alignment, without the public-suffix list: the signing domain is the From
 * domain or a parent of it (acme.example signs for mail.acme.example) or a child. Two
 * sibling subdomains are reported unaligned even where their organizational domain would
 * align them: a warning too many, never a false "aligned".
 */
export function aligned(fromDomain: string, signingDomain: string | undefined): boolean {
  if (!signingDomain || !fromDomain) return false;
  return onDomain(fromDomain, signingDomain) || onDomain(signingDomain, fromDomain);
}

/** How a client's mail is signed now: for which domain, with which key, and whether DMARC will find it aligned. */
export interface Signing {
  fromDomain: string;
  /** Its own key for the From domain, the server-wide DKIM_DOMAIN, or none. */
  by: 'own-key' | 'server' | 'none';
  domain: string | null;
  selector: string | null;
  aligned: boolean;
}

export function signingOf(
  fromDomain: string,
  ownKeys: DkimKey[],
  server: { domain: string; selector: string } | undefined,
  now: number,
): Signing {
  const own = signingKey(ownKeys, fromDomain, now);
  if (own) return { fromDomain, by: 'own-key', domain: own.domain, selector: own.selector, aligned: true };
  if (server)
    return {
      fromDomain,
      by: 'server',
      domain: server.domain,
      selector: server.selector,
      aligned: aligned(fromDomain, server.domain),
    };
  return { fromDomain, by: 'none', domain: null, selector: null, aligned: false };
}
