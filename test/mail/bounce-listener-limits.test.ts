// The bounce listener faces the internet (the domain's MX points at it), so it bounds what
// a sender can make it hold: a report past the size limit is answered 552 as soon as it
// grows past it and the connection closed; a report that can never be read gets a final
// 554, not a 451 that would have it sent again for days; sessions are capped in number
// and in time. No database is involved: nothing here gets as far as recording a bounce.
import { connect, type Socket } from 'node:net';
import nodemailer from 'nodemailer';
import pino from 'pino';
import t, { type Test } from 'tap';
import { startBounceListener, type BounceListenerLimits, type ReportOutcome } from '../../src/mail/bounce-listener.js';
import type { OutboxPort } from '../../src/mail/outbox.js';
import { returnPath } from '../../src/mail/verp.js';
import { LogCapture } from '../helpers/build.js';

const key = Buffer.alloc(32, 9);
const domain = 'bounces.acme.example';
const to = returnPath(key, domain, 4242);
const mb = 1024 * 1024;

async function listener(t: Test, limits: Partial<BounceListenerLimits> = {}) {
  const outcomes: ReportOutcome[] = [];
  const logs = new LogCapture();
  const outbox = { bounce: async () => t.fail('nothing here is a hard bounce to record') } as unknown as OutboxPort;
  const started = await startBounceListener({
    host: '127.0.0.1',
    port: 0,
    domain,
    keys: [key],
    outbox,
    logger: pino(logs),
    now: Date.now,
    onReport: (o) => outcomes.push(o),
    limits,
  });
  t.teardown(() => started.close());
  const relay = nodemailer.createTransport({ host: '127.0.0.1', port: started.port, secure: false, ignoreTLS: true });
  t.teardown(() => relay.close());
  const send = (raw: string | Buffer) =>
    relay.sendMail({ envelope: { from: '', to }, raw }).then(
      (info) => info.response,
      (error: { responseCode?: number; response?: string; message: string }) =>
        error.response ?? `${error.responseCode ?? '-'} ${error.message}`,
    );
  return { port: started.port, outcomes, logs, send };
}

/** A raw SMTP session on loopback: each line's answer, in turn. */
async function session(port: number) {
  const socket: Socket = connect(port, '127.0.0.1');
  let buffered = '';
  let closed = false;
  const waiting: (() => void)[] = [];
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    for (const wake of waiting.splice(0)) wake();
  });
  socket.on('close', () => {
    closed = true;
    for (const wake of waiting.splice(0)) wake();
  });
  socket.on('error', () => {});
  /** The next complete reply (a line whose code is followed by a space), or '' once closed. */
  async function reply(): Promise<string> {
    for (;;) {
      const match = /^(?:\d{3}-[^\n]*\n)*\d{3} [^\n]*\n/.exec(buffered);
      if (match) {
        buffered = buffered.slice(match[0].length);
        return match[0].trim();
      }
      if (closed) return '';
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
  }
  const command = async (line: string) => {
    socket.write(`${line}\r\n`);
    return reply();
  };
  return { socket, reply, command, isClosed: () => closed };
}

const report = (diagnostic: string) =>
  [
    'From: MAILER-DAEMON@mx.acme.example',
    `To: <${to}>`,
    'Subject: Undelivered Mail',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
    '',
    '--b',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.acme.example',
    '',
    'Final-Recipient: rfc822; ann@acme.example',
    'Action: delayed',
    'Status: 4.4.7',
    `Diagnostic-Code: ${diagnostic}`,
    '',
    '--b--',
    '',
  ].join('\r\n');

t.test('a report sent whole but over the size limit is refused with 552', async (t) => {
  const { send, outcomes } = await listener(t);
  const big = report('smtp; 450 4.4.7 delayed') + `${'x'.repeat(998)}\r\n`.repeat(2_200);
  t.ok(big.length > 2 * mb);
  t.match(await send(big), /^552 /, '2 MB: 552');
  t.match(await send(report('smtp; 450 4.4.7 delayed')), /^250 /, 'a report within the limit is still taken');
  t.same(outcomes, ['oversized', 'no_bounce']);
});

t.test('a 50 MB stream is cut off at the limit: 552, connection closed, memory bounded', async (t) => {
  const { port, outcomes } = await listener(t);
  const smtp = await session(port);
  t.match(await smtp.reply(), /^220 /);
  t.match(await smtp.command('EHLO sender.example'), /SIZE 262144/);
  t.match(await smtp.command('MAIL FROM:<>'), /^250 /);
  t.match(await smtp.command(`RCPT TO:<${to}>`), /^250 /);
  t.match(await smtp.command('DATA'), /^354 /);
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const line = Buffer.from(`${'y'.repeat(998)}\r\n`);
  const chunk = Buffer.concat(Array.from({ length: 64 }, () => line));
  let written = 0;
  const answer = smtp.reply();
  while (written < 50 * mb && !smtp.isClosed() && !smtp.socket.destroyed) {
    written += chunk.length;
    if (!smtp.socket.write(chunk))
      await new Promise<void>((resolve) =>
        smtp.isClosed() ? resolve() : smtp.socket.once('drain', resolve).once('close', resolve),
      );
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  }
  t.match(
    await answer,
    /^552 5\.3\.4 Message exceeds fixed maximum message size 262144/,
    'told why, as soon as it went past the limit',
  );
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.ok(smtp.isClosed(), 'and the connection closed');
  t.ok(written < 16 * mb, `the sender got ${(written / mb).toFixed(1)} MB out of 50 before the close`);
  const grown = (rssPeak - rssBefore) / mb;
  t.ok(grown < 64, `the process grew by ${grown.toFixed(1)} MB at most (bound: 64 MB; the report buffer is 0.25 MB)`);
  t.same(outcomes, ['oversized']);
});

t.test('a report that can never be read gets a final 554, logged and counted', async (t) => {
  const { send, outcomes, logs } = await listener(t);
  const depth = 3_000;
  let nested = `From: MAILER-DAEMON@mx.acme.example\r\nTo: <${to}>\r\nSubject: x\r\nMIME-Version: 1.0\r\n`;
  for (let i = 0; i < depth; i++) nested += `Content-Type: multipart/mixed; boundary="n${i}"\r\n\r\n--n${i}\r\n`;
  nested += 'Content-Type: text/plain\r\n\r\nhi\r\n';
  for (let i = depth - 1; i >= 0; i--) nested += `--n${i}--\r\n`;
  t.ok(nested.length < 256 * 1024, 'within the size limit');
  t.match(await send(nested), /^554 5\.6\.0 The report cannot be read/);
  t.same(outcomes, ['unreadable']);
  t.match(logs.text, /a bounce report that cannot be read was refused for good/);
});

t.test('sessions are capped in number, in silence and in length', async (t) => {
  const { port } = await listener(t, { maxConnections: 3, idleMs: 400, sessionMs: 1_200 });
  const held = await Promise.all([1, 2, 3].map(() => session(port)));
  for (const s of held) t.match(await s.reply(), /^220 /);
  const extra = await session(port);
  t.match(await extra.reply(), /^421 /, 'one more than the cap is turned away');
  for (const s of held) s.socket.destroy();
  await new Promise((resolve) => setTimeout(resolve, 100));

  const silent = await session(port);
  t.match(await silent.reply(), /^220 /);
  const quietStart = Date.now();
  t.match(await silent.reply(), /^421 .*[Tt]imeout|^$/, 'a silent client is let go');
  t.ok(Date.now() - quietStart < 5_000);

  const chatty = await session(port);
  t.match(await chatty.reply(), /^220 /);
  const start = Date.now();
  for (let i = 0; i < 50 && !chatty.isClosed(); i++) {
    await chatty.command('NOOP');
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  t.ok(chatty.isClosed(), 'a client that keeps itself busy is closed at the session cap');
  t.ok(Date.now() - start < 4_000, `after ${Date.now() - start} ms`);
});

t.test('a report may name a few return paths, not any number', async (t) => {
  const { port } = await listener(t, { maxRecipients: 2 });
  const smtp = await session(port);
  await smtp.reply();
  await smtp.command('EHLO sender.example');
  await smtp.command('MAIL FROM:<>');
  t.match(await smtp.command(`RCPT TO:<${to}>`), /^250 /);
  t.match(await smtp.command(`RCPT TO:<${returnPath(key, domain, 4243)}>`), /^250 /);
  t.match(await smtp.command(`RCPT TO:<${returnPath(key, domain, 4244)}>`), /^452 /);
  smtp.socket.destroy();
});
