// A real HTTP receiver for webhooks, on loopback: it checks every request's signature with
// the standardwebhooks library (what a portal would use) and keeps what arrived.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { Test } from 'tap';
import { Webhook } from 'standardwebhooks';

export interface Received {
  id: string;
  type: string;
  data: { id: string; subject: string } & Record<string, unknown>;
  verified: boolean;
  headers: IncomingHttpHeaders;
}

/**
 * @param answer the status to answer the n-th request with (default 204); `hang` never answers.
 */
export async function startWebhookReceiver(t: Test, answer: (n: number) => number | 'hang' = () => 204) {
  const received: Received[] = [];
  let secret = '';
  let requests = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let verified = false;
      try {
        new Webhook(secret).verify(body, request.headers as Record<string, string>);
        verified = true;
      } catch {
        verified = false;
      }
      const message = JSON.parse(body) as { type: string; data: Received['data'] };
      received.push({
        id: String(request.headers['webhook-id']),
        type: message.type,
        data: message.data,
        verified,
        headers: request.headers,
      });
      const status = answer(++requests);
      if (status !== 'hang') response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.closeAllConnections() ?? server.close(() => resolve())));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hooks/mailcode`,
    received,
    useSecret(value: string) {
      secret = value;
    },
    /** The types received for one subject, in arrival order. */
    story: (subject: string) => received.filter((r) => r.data.subject === subject).map((r) => r.type),
  };
}
