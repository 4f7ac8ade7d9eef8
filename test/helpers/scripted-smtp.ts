// A test SMTP server that refuses chosen recipients, for now (4xx) or for good (5xx), the
// way real receiving servers answer at RCPT; every other recipient is accepted.
import { SMTPServer } from 'smtp-server';
import type { Test } from 'tap';

/** Answers RCPT for an address with the next reply in its script (the last one repeats); everyone else is accepted. */
export async function scriptedSmtpServer(t: Test, script: Record<string, string[]>) {
  const seen = new Map<string, number>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      const replies = script[address.address];
      const n = seen.get(address.address) ?? 0;
      seen.set(address.address, n + 1);
      const reply = replies?.[Math.min(n, replies.length - 1)];
      if (!reply || reply.startsWith('250')) return callback();
      callback(Object.assign(new Error(reply.slice(4)), { responseCode: Number(reply.slice(0, 3)) }));
    },
    onData(stream, _session, callback) {
      stream.resume();
      stream.on('end', () => callback(null, 'Queued as TEST42'));
    },
  });
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.server.address() as { port: number }).port;
}
