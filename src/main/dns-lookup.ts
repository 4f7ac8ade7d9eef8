// Asking DNS for a client's records (`clients dns --check`, the console's DKIM page):
// the configured resolvers (DNS_SERVERS) or the system's, a few seconds at most.
import { Resolver } from 'node:dns/promises';
import type { Lookup } from '../clients/dns.js';

export function resolverLookup(servers: string | undefined): Lookup {
  const resolver = new Resolver({ timeout: 3_000, tries: 2 });
  if (servers) resolver.setServers(servers.split(','));
  return async (type, name) =>
    type === 'TXT'
      ? (await resolver.resolveTxt(name)).map((parts) => parts.join(''))
      : (await resolver.resolveMx(name)).map((mx) => mx.exchange);
}
