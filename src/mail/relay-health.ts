// Relays that refuse mailcode itself — an expired password (535 5.7.8), a sender the relay
// will not take, a policy or content refusal — as this process has met them. Such a
// refusal suppresses nobody (smtp-reply.ts); it is the operator's to mend, so it is said
// where the operator looks: /readyz's warnings, the client's page in the console, and the
// metric mailcode_relay_refusals_total{relay}. A mail the relay then accepts clears it.
// Relays are named by host and port only: never a user name or a password.

export interface RelayRefusal {
  /** The client whose own relay refused; null for the server-wide SMTP_URL. */
  clientId: string | null;
  /** host:port. */
  relay: string;
  /** The SMTP step refused ("AUTH PLAIN", "MAIL FROM", …), when known. */
  stage: string | null;
  reply: string;
  /** When this run of refusals began, and the latest of them. */
  since: number;
  at: number;
}

/** A relay's name as the operator reads it: host:port of an smtp(s):// URL, without credentials. */
export function relayLabel(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || (parsed.protocol === 'smtps:' ? '465' : '587')}`;
  } catch {
    return 'the configured relay';
  }
}

export class RelayHealth {
  private readonly refusals = new Map<string, RelayRefusal>();

  constructor(private readonly onRefused: (relay: string) => void = () => {}) {}

  private static key(clientId: string | null, relay: string) {
    return `${clientId ?? '*'} ${relay}`;
  }

  refused(refusal: Omit<RelayRefusal, 'since'>): void {
    const key = RelayHealth.key(refusal.clientId, refusal.relay);
    this.refusals.set(key, { ...refusal, since: this.refusals.get(key)?.since ?? refusal.at });
    this.onRefused(refusal.relay);
  }

  /** A mail accepted by this relay for this client: whatever refused mailcode before has been mended. */
  accepted(clientId: string | null, relay: string): void {
    if (this.refusals.size > 0) this.refusals.delete(RelayHealth.key(clientId, relay));
  }

  /** The refusals standing now, oldest first. */
  current(): RelayRefusal[] {
    return [...this.refusals.values()].sort((a, b) => a.since - b.since);
  }

  /** The one standing for a client's own relay, or for the server's relay its mail goes through. */
  forClient(clientId: string): RelayRefusal[] {
    return this.current().filter((r) => r.clientId === clientId || r.clientId === null);
  }
}

/** One line of /readyz's warnings: what refused, at which step, since when, and what happens meanwhile. */
export function describeRelayRefusal(refusal: RelayRefusal, clientName?: string): string {
  const whose = refusal.clientId
    ? `the relay of client ${clientName ?? refusal.clientId} (${refusal.relay})`
    : `the server's relay (SMTP_URL, ${refusal.relay})`;
  const stage = refusal.stage ? ` at ${refusal.stage}` : '';
  return `${whose} refuses mailcode${stage}: ${refusal.reply} — since ${new Date(refusal.since).toISOString()}; its mail is retried while the codes live, and nobody is suppressed`;
}
