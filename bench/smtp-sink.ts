// A real SMTP server on loopback that accepts and counts every mail (smtp-server), so
// the benchmark includes what the worker really pays to deliver.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

let received = 0;
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  size: 1024 * 1024,
  onData(stream, _session, callback) {
    stream.on('data', () => {});
    stream.on('end', () => {
      received++;
      callback();
    });
  },
});
// A client that goes away mid-session (a helper killed after its scenario) resets its
// socket; that ends the session, not the sink.
server.on('error', () => {});
server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.server.address() as AddressInfo).port }));
process.on('message', (message) => {
  if (message === 'count') process.send?.({ received });
});
process.on('disconnect', () => process.exit(0));
