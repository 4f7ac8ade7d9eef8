// Company domains only: a client's own allowlist (with subdomains), or, when it has none,
// any domain that maintained lists do not know as a consumer or disposable provider.
import { createRequire } from 'node:module';
import { disposableEmailBlocklistSet } from 'disposable-email-domains-js';
import { onDomain } from '../shared/domains.js';

const require = createRequire(import.meta.url);
const consumerProviders: ReadonlySet<string> = new Set(require('email-providers/all.json') as string[]);
const disposableProviders: ReadonlySet<string> = disposableEmailBlocklistSet();

export type DomainDecision = { allowed: true } | { allowed: false; reason: string };

/** The domain itself and each parent, so `mx.mailinator.com` counts as `mailinator.com`. */
function domainAndParents(domain: string): string[] {
  const labels = domain.split('.');
  return labels.slice(0, -1).map((_, i) => labels.slice(i).join('.'));
}

export function checkDomain(domain: string, allowedDomains: readonly string[]): DomainDecision {
  if (allowedDomains.length > 0) {
    const allowed = allowedDomains.some((d) => onDomain(domain, d));
    return allowed
      ? { allowed: true }
      : { allowed: false, reason: `${domain} is not one of this client's company domains` };
  }
  for (const candidate of domainAndParents(domain)) {
    if (disposableProviders.has(candidate))
      return { allowed: false, reason: `${domain} is a disposable mail provider` };
    if (consumerProviders.has(candidate))
      return { allowed: false, reason: `${domain} is a consumer mail provider, not a company domain` };
  }
  return { allowed: true };
}
