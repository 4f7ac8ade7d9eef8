// Where a webhook may be sent (no SSRF): https only — plain http only to a loopback address
// outside production — and, in production, never to a private, loopback, link-local or
// otherwise non-public address, unless the operator listed it in WEBHOOK_ALLOWED_TARGETS.
// Checked when the endpoint is added and again at every delivery against the address the
// name resolves to then (a name can be re-pointed after the check).
import ipaddr from 'ipaddr.js';

export interface TargetPolicy {
  production: boolean;
  /** Host names, IP addresses or CIDR ranges an operator allows though they are not public. */
  allowed: string[];
}

/** The policy the configuration sets. */
export function webhookPolicy(config: { NODE_ENV: string; WEBHOOK_ALLOWED_TARGETS: string }): TargetPolicy {
  return {
    production: config.NODE_ENV === 'production',
    allowed: config.WEBHOOK_ALLOWED_TARGETS.split(',').filter(Boolean),
  };
}

export type Verdict = { ok: true } | { ok: false; reason: string };

const refuse = (reason: string): Verdict => ({ ok: false, reason });

function parsedAddress(host: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  const bare = host.replace(/^\[|\]$/g, '');
  if (!ipaddr.isValid(bare)) return undefined;
  const address = ipaddr.parse(bare);
  return address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()
    ? (address as ipaddr.IPv6).toIPv4Address()
    : address;
}

function listed(host: string, address: ipaddr.IPv4 | ipaddr.IPv6 | undefined, policy: TargetPolicy): boolean {
  return policy.allowed.some((entry) => {
    if (entry.toLowerCase() === host.toLowerCase()) return true;
    if (!address) return false;
    try {
      if (entry.includes('/')) {
        const [range, bits] = ipaddr.parseCIDR(entry);
        return range.kind() === address.kind() && address.match(range, bits);
      }
      return ipaddr.isValid(entry) && ipaddr.parse(entry).toString() === address.toString();
    } catch {
      return false;
    }
  });
}

const isLoopback = (address: ipaddr.IPv4 | ipaddr.IPv6 | undefined) => address?.range() === 'loopback';

/** May mailcode connect to this address for this host? (Called with every resolved address.) */
export function checkAddress(host: string, ip: string, policy: TargetPolicy): Verdict {
  const address = parsedAddress(ip);
  if (!address) return refuse(`"${ip}" is not an IP address`);
  if (listed(host, address, policy)) return { ok: true };
  if (address.range() === 'unicast') return { ok: true };
  if (!policy.production && isLoopback(address)) return { ok: true };
  return refuse(
    `${host} resolves to ${address.toString()}, a ${address.range()} address; list it in WEBHOOK_ALLOWED_TARGETS to allow it`,
  );
}

/** The URL's own checks, before any name is resolved. */
export function checkWebhookUrl(text: string, policy: TargetPolicy): Verdict {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return refuse('not a URL');
  }
  if (text.length > 2_000) return refuse('longer than 2,000 characters');
  if (url.username || url.password)
    return refuse('credentials in the URL are not allowed (the signature authenticates mailcode)');
  if (url.hash) return refuse('a fragment is never sent; leave it out');
  const address = parsedAddress(url.hostname);
  if (url.protocol === 'http:') {
    if (policy.production) return refuse('https is required in production');
    if (!isLoopback(address) && url.hostname !== 'localhost')
      return refuse('plain http is allowed only to a loopback address (and never in production)');
  } else if (url.protocol !== 'https:') {
    return refuse('https is required');
  }
  return address ? checkAddress(url.hostname, address.toString(), policy) : { ok: true };
}
