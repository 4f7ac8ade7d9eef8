// The SMTP connection pools of clients with relays of their own: one pool per client, made
// when its first mail leaves and replaced when its relay changes, so a client's dead relay
// holds up only that client's mail (its deliveries fail over their own connections and are
// retried; every other client's mail leaves through its own pool or the server's).
import type { MailTransport } from './transport.js';

export class ClientTransports {
  private readonly pools = new Map<string, { url: string; transport: MailTransport }>();

  constructor(
    /** The client's relay URL (undefined: the server's SMTP_URL), read as often as the caller allows. */
    private readonly relayOf: (clientId: string) => Promise<string | undefined>,
    private readonly open: (url: string) => MailTransport,
  ) {}

  /** The client's own pool, or undefined for the server's transport. */
  async transportFor(clientId: string): Promise<MailTransport | undefined> {
    const url = await this.relayOf(clientId);
    const pool = this.pools.get(clientId);
    if (pool && pool.url === url) return pool.transport;
    // A relay removed or changed: its pool closes once its connections are idle.
    pool?.transport.close();
    this.pools.delete(clientId);
    if (url === undefined) return undefined;
    const transport = this.open(url);
    this.pools.set(clientId, { url, transport });
    return transport;
  }

  close(): void {
    for (const { transport } of this.pools.values()) transport.close();
    this.pools.clear();
  }
}
