// Test SMTP servers on loopback: one that refuses chosen recipients, for now (4xx) or for
// good (5xx), the way real receiving servers answer at RCPT; and the plain listener both it
// and other tests build on.
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { Test } from 'tap';

/** An SMTP server on 127.0.0.1 (no TLS, no auth) with these handlers, closed at the test's end; its port. */
export async function loopbackSmtpServer(
  t: Test,
  handlers: Pick<SMTPServerOptions, 'onRcptTo' | 'onData'>,
): Promise<number> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    ...handlers,
  });
  server.on('error', () => {}); // a client killed mid-session resets its socket
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.server.address() as { port: number }).port;
}

/** Answers RCPT for an address with the next reply in its script (the last one repeats); everyone else is accepted. */
export function scriptedSmtpServer(t: Test, script: Record<string, string[]>): Promise<number> {
  const seen = new Map<string, number>();
  return loopbackSmtpServer(t, {
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
}

/** Where a relay may refuse: the connection, AUTH, MAIL FROM, RCPT TO, or the end of DATA. */
export type RefusalStage = 'connect' | 'auth' | 'mail' | 'rcpt' | 'data';

/**
 * A relay that asks for AUTH and refuses at one stage with one reply (e.g. "535 5.7.8
 * Authentication credentials invalid") until `mend()`; then it takes every mail and
 * counts the recipients it got.
 */
export async function refusingRelay(t: Test, stage: RefusalStage, reply: string) {
  let refusing = true;
  const received: string[] = [];
  const refuse = (callback: (error?: Error | null) => void) =>
    callback(Object.assign(new Error(reply.slice(4)), { responseCode: Number(reply.slice(0, 3)) }));
  const server = new SMTPServer({
    authOptional: false,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onConnect: (_session, callback) => (refusing && stage === 'connect' ? refuse(callback) : callback()),
    onAuth: (auth, _session, callback) =>
      refusing && stage === 'auth' ? refuse(callback) : callback(null, { user: auth.username }),
    onMailFrom: (_address, _session, callback) => (refusing && stage === 'mail' ? refuse(callback) : callback()),
    onRcptTo: (_address, _session, callback) => (refusing && stage === 'rcpt' ? refuse(callback) : callback()),
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        if (refusing && stage === 'data') return refuse(callback);
        received.push(...session.envelope.rcptTo.map((r) => r.address));
        callback(null, 'Queued as RELAYED1');
      });
    },
  });
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.server.address() as { port: number }).port;
  return { port, received, mend: () => void (refusing = false) };
}
