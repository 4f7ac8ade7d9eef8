// A DNS zone the test controls: answered to mailauth through its `resolver` option, and over
// UDP on loopback (dns2) for `mailcode clients dns --check`, which resolves like any client.
import type { Test } from 'tap';
import dns2 from 'dns2';

type RecordType = 'TXT' | 'MX';

export class Zone {
  private readonly records = new Map<string, { type: RecordType; value: string }[]>();

  /** Replaces the name's records of that type with this one. */
  set(type: RecordType, name: string, value: string): this {
    this.remove(type, name);
    this.records.set(name.toLowerCase(), [...(this.records.get(name.toLowerCase()) ?? []), { type, value }]);
    return this;
  }

  remove(type: RecordType, name: string): this {
    const kept = (this.records.get(name.toLowerCase()) ?? []).filter((r) => r.type !== type);
    this.records.set(name.toLowerCase(), kept);
    return this;
  }

  private find(type: string, name: string) {
    return (this.records.get(name.toLowerCase().replace(/\.$/, '')) ?? []).filter((r) => r.type === type);
  }

  /** As node:dns/promises answers (mailauth's resolver option): TXT as string chunks, MX as exchanges. */
  resolver = async (name: string, type: string): Promise<unknown[]> => {
    const found = this.find(type, name);
    if (found.length === 0) throw Object.assign(new Error(`no ${type} for ${name}`), { code: 'ENOTFOUND' });
    return found.map((r) => (type === 'MX' ? { exchange: r.value, priority: 10 } : chunks(r.value)));
  };

  /** Serves the zone over UDP on a loopback port; returns `127.0.0.1:PORT` for DNS_SERVERS. */
  async serve(t: Test): Promise<string> {
    const { Packet } = dns2;
    const server = dns2.createServer({
      udp: true,
      handle: (request, send) => {
        const response = Packet.createResponseFromRequest(request);
        const question = request.questions[0];
        if (question) {
          const type = question.type === Packet.TYPE.MX ? 'MX' : question.type === Packet.TYPE.TXT ? 'TXT' : '';
          for (const r of this.find(type, question.name)) {
            // dns2's types want its Resource class; the encoder takes plain records (its README's way).
            response.answers.push(
              (type === 'MX'
                ? {
                    name: question.name,
                    type: Packet.TYPE.MX,
                    class: Packet.CLASS.IN,
                    ttl: 60,
                    exchange: r.value,
                    priority: 10,
                  }
                : {
                    name: question.name,
                    type: Packet.TYPE.TXT,
                    class: Packet.CLASS.IN,
                    ttl: 60,
                    data: chunks(r.value),
                  }) as unknown as (typeof response.answers)[number],
            );
          }
          if (response.answers.length === 0)
            response.header.rcode = this.records.has(question.name.toLowerCase()) ? 0 : 3;
        }
        send(response);
      },
    });
    const listening = new Promise<void>((resolve) => server.on('listening', () => resolve()));
    await server.listen({ udp: { port: 0, address: '127.0.0.1' } });
    await listening;
    t.teardown(() => server.close());
    const { udp } = server.addresses() as { udp: { port: number } };
    return `127.0.0.1:${udp.port}`;
  }
}

/** A TXT value longer than 255 bytes travels as several strings (a 2048-bit DKIM key does). */
const chunks = (value: string) => value.match(/.{1,255}/g) ?? [''];
