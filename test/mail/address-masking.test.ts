// Mail servers and bounce reports quote the recipient; what mailcode keeps of their words
// (and sends on in events and webhooks) holds no whole address, only the masked form, with
// the status codes and the words kept. A property over generated replies and reports.
import fc from 'fast-check';
import t from 'tap';
import { hardBounceIn, parseDeliveryStatus } from '../../src/mail/dsn.js';
import { delivered, refusalOf, aboutRecipient } from '../../src/mail/smtp-reply.js';
import { maskAddressesIn } from '../../src/verification/email-address.js';

const plainLocal = fc.stringMatching(/^[a-z0-9][a-z0-9.+_'-]{0,20}$/);
const quotedLocal = fc.stringMatching(/^[a-z][a-z .,@]{1,12}[a-z]$/).map((s) => `"${s}"`);
const idnLocal = fc.constantFrom('josé', 'пользователь', '用户', 'ünïcode.name', 'ⓜⓐⓘⓛ');
const domain = fc.constantFrom(
  'acme.example',
  'mx.sub.acme.example',
  'bücher.example',
  'xn--bcher-kva.example',
  '例子.广告',
  'xn--fsqu00a.xn--3lr804guic',
  '[192.0.2.7]',
);
const casing = fc.constantFrom(
  (s: string) => s,
  (s: string) => s.toUpperCase(),
  (s: string) => s.replace(/^./, (c) => c.toUpperCase()),
);
const address = fc
  .tuple(fc.oneof(plainLocal, quotedLocal, idnLocal), domain, casing)
  .map(([local, d, c]) => ({ local: c(local), whole: c(`${local}@${d}`) }));

/** How servers put an address into a reply: bracketed, bare, after a colon, several at once. */
const replyShapes: ((a: string, b: string) => string)[] = [
  (a) => `5.1.1 <${a}>: Recipient address rejected: User unknown`,
  (a) => `4.2.0 <${a}>: Greylisted, see https://postgrey.example/help`,
  (a) => `5.2.2 ${a}... Mailbox full`,
  (a) => `5.7.1 Delivery not authorized, message refused: RCPT TO:<${a}>`,
  (a, b) => `5.1.1 The email account that you tried to reach does not exist: ${a}, nor ${b}.`,
  (a, b) => `5.1.1 <${a}> and <${b}>: Recipient address rejected: User unknown`,
];
const words = (shape: string) =>
  shape
    .replace(/^\d\.\d\.\d /, '')
    .split(/[^A-Za-z]+/)
    .filter((w) => w.length > 3 && !/^(RCPT|nor)$/.test(w));

/** No whole address, however spelt, and no local part right before its @. */
function holdsNoAddress(text: string, addresses: { local: string; whole: string }[]): boolean {
  const lower = text.toLowerCase();
  return addresses.every((a) => !lower.includes(a.whole.toLowerCase()) && !lower.includes(`${a.local.toLowerCase()}@`));
}

t.test('an SMTP refusal keeps its status codes and words, never a whole address', async (_t) => {
  await fc.assert(
    fc.property(
      address,
      address,
      fc.constantFrom(...replyShapes),
      fc.constantFrom(450, 451, 550, 553, 554),
      fc.boolean(),
      (a, b, shape, code, inMessage) => {
        const text = `${code} ${shape(a.whole, b.whole)}`;
        // nodemailer gives the reply as `response`, or only inside its message when there was none.
        const error = inMessage
          ? { message: `Can't send mail - all recipients were rejected: ${text}` }
          : { responseCode: code, response: text, message: 'x' };
        const { reply, enhancedStatus } = refusalOf(error);
        const expected = shape('x', 'y');
        return (
          holdsNoAddress(reply, [a, b]) &&
          reply.includes(`${code} ${expected.slice(0, 5)}`) &&
          enhancedStatus === expected.slice(0, 5) &&
          words(expected).every((w) => reply.includes(w))
        );
      },
    ),
    { numRuns: 500 },
  );
});

t.test("a bounce report's Diagnostic-Code is kept masked, with its status", async (_t) => {
  await fc.assert(
    // Reports of failures about the recipient (a 5.7.1 policy refusal suppresses nobody: relay-refusals.test.ts).
    fc.property(
      address,
      address,
      fc.constantFrom(
        ...replyShapes.filter((s) => s('x', 'y').startsWith('5') && aboutRecipient(s('x', 'y').slice(0, 5), null)),
      ),
      (a, b, shape) => {
        const text = shape(a.whole, b.whole);
        const report = [
          'Reporting-MTA: dns; mx.acme.example',
          '',
          `Final-Recipient: rfc822; ${a.whole}`,
          'Action: failed',
          `Status: ${text.slice(0, 5)}`,
          `Diagnostic-Code: smtp; 550 ${text}`,
          '',
        ].join('\r\n');
        const bounce = hardBounceIn(parseDeliveryStatus(report));
        return (
          bounce !== undefined &&
          holdsNoAddress(bounce.reply, [a, b]) &&
          bounce.reply.startsWith(`550 ${text.slice(0, 5)}`) &&
          words(shape('x', 'y')).every((w) => bounce.reply.includes(w))
        );
      },
    ),
    { numRuns: 300 },
  );
});

t.test('an address echoed in a 250 reply is masked in the reply and in the queue id', async (t) => {
  t.same(delivered('250 2.0.0 <Ann.Lee@Acme.example> Queued mail for delivery'), {
    reply: '250 2.0.0 <A***@Acme.example> Queued mail for delivery',
    queueId: 'A***@Acme.example',
  });
  t.same(delivered('250 2.0.0 Ok: queued as 4Xk2 for nobody@acme.example'), {
    reply: '250 2.0.0 Ok: queued as 4Xk2 for n***@acme.example',
    queueId: '4Xk2',
  });
});

t.test('the masked form is the one events use, and masking it again changes nothing', async (t) => {
  const once = maskAddressesIn(
    '550 5.1.1 <nobody@acme.example>: unknown; "john doe"@acme.example; 用户@例子.广告; JANE@ACME.EXAMPLE',
  );
  t.equal(once, '550 5.1.1 <n***@acme.example>: unknown; j***@acme.example; 用***@例子.广告; J***@ACME.EXAMPLE');
  t.equal(maskAddressesIn(once), once);
  t.equal(
    maskAddressesIn('421 4.3.2 Service shutting down at 10:00 (see status.example/today)'),
    '421 4.3.2 Service shutting down at 10:00 (see status.example/today)',
    'text without an address is left alone',
  );
});
