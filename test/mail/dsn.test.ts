// Reading RFC 3464 reports and VERP return paths: what a later bounce can and cannot change.
import t from 'tap';
import { hardBounceIn, parseDeliveryStatus } from '../../src/mail/dsn.js';
import { outboxIdFrom, returnPath } from '../../src/mail/verp.js';

const report = (
  action: string,
  status: string,
  diagnostic = 'smtp; 550 5.1.1 <ann@acme.example>: Recipient address rejected: User unknown',
) =>
  [
    'Reporting-MTA: dns; mx.acme.example',
    'Arrival-Date: Wed, 25 Nov 2026 10:00:00 +0000',
    '',
    'Final-Recipient: rfc822; ann@acme.example',
    `Action: ${action}`,
    `Status: ${status}`,
    `Diagnostic-Code: ${diagnostic.slice(0, diagnostic.indexOf(' Recipient'))}`,
    `  ${diagnostic.slice(diagnostic.indexOf(' Recipient') + 1)}`,
    '',
  ].join('\r\n');

t.test('a failed recipient with a 5.x.x status is a hard bounce, with the remote words', async (t) => {
  const recipients = parseDeliveryStatus(report('failed', '5.1.1'));
  t.match(recipients, [{ finalRecipient: 'ann@acme.example', action: 'failed', status: '5.1.1' }]);
  t.same(
    hardBounceIn(recipients),
    { reply: '550 5.1.1 <a***@acme.example>: Recipient address rejected: User unknown', enhancedStatus: '5.1.1' },
    'folded lines joined, the address masked',
  );
});

t.test('a delay, a 4.x.x status or a report without recipients is no bounce', async (t) => {
  t.equal(hardBounceIn(parseDeliveryStatus(report('delayed', '4.4.7'))), undefined);
  t.equal(hardBounceIn(parseDeliveryStatus(report('failed', '4.4.7'))), undefined);
  t.equal(hardBounceIn(parseDeliveryStatus('Reporting-MTA: dns; x\r\n')), undefined);
  t.equal(hardBounceIn(parseDeliveryStatus('not a report at all')), undefined);
});

t.test("a report of a failure that is about mailcode's mail, not the address, suppresses nobody", async (t) => {
  t.equal(
    hardBounceIn(
      parseDeliveryStatus(
        report('failed', '5.7.1', 'smtp; 550 5.7.1 Message rejected by policy Recipient spam filter'),
      ),
    ),
    undefined,
    '5.7.1 policy',
  );
  t.equal(
    hardBounceIn(parseDeliveryStatus(report('failed', '5.6.0', 'smtp; 554 5.6.0 Content rejected Recipient side'))),
    undefined,
    '5.6.0 content',
  );
  t.equal(
    hardBounceIn(parseDeliveryStatus(report('failed', '5.3.4', 'smtp; 552 5.3.4 Message too big Recipient side'))),
    undefined,
    '5.3.4 message too big',
  );
  t.ok(hardBounceIn(parseDeliveryStatus(report('failed', '5.2.1'))), "5.2.1 mailbox disabled: the person's");
  t.ok(hardBounceIn(parseDeliveryStatus(report('failed', '5.4.4'))), "5.4.4 no route to the domain: the person's");
});

t.test('a return path names its mail only with the right tag, on the bounce domain', async (t) => {
  const key = Buffer.alloc(32, 7);
  const address = returnPath(key, 'bounces.acme.example', 4242);
  t.match(address, /^bounce\+4242-[a-z0-9_-]{16}@bounces\.acme\.example$/);
  t.equal(outboxIdFrom([key], 'bounces.acme.example', address), 4242);
  t.equal(
    outboxIdFrom(
      [key],
      'bounces.acme.example',
      address.toUpperCase().replace('BOUNCES.ACME.EXAMPLE', 'bounces.acme.example'),
    ),
    4242,
    'a relay that changes the case of the local part',
  );
  t.equal(
    outboxIdFrom([Buffer.alloc(32, 1), key], 'bounces.acme.example', address),
    4242,
    'an older key still reads it',
  );
  t.equal(
    outboxIdFrom([key], 'bounces.acme.example', address.replace('4242', '4243')),
    undefined,
    'another id with this tag is forged',
  );
  t.equal(
    outboxIdFrom([key], 'bounces.acme.example', address.replace('bounces.acme.example', 'other.example')),
    undefined,
    'only on the bounce domain',
  );
  t.equal(outboxIdFrom([Buffer.alloc(32, 1)], 'bounces.acme.example', address), undefined, 'a tag of another key');
  t.equal(outboxIdFrom([key], 'bounces.acme.example', 'postmaster@bounces.acme.example'), undefined);
});
