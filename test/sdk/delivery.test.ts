// A portal turns what the mail server said into words for the person waiting for the code.
import t from 'tap';
import { deliveryNotice, deliveryReason } from '../../src/sdk/index.js';

t.test('the reason comes from the RFC 3463 enhanced status code', async (t) => {
  t.equal(deliveryReason('5.1.1'), 'mailbox unknown');
  t.equal(deliveryReason('5.1.2'), 'domain unknown');
  t.equal(deliveryReason('5.2.2'), 'mailbox full');
  t.equal(deliveryReason('5.7.1'), 'refused by policy');
  t.equal(deliveryReason('4.4.1'), 'network or routing problem', 'an unlisted detail falls back to its subject');
  t.equal(deliveryReason('5.9.9'), null, 'an unknown subject: no guess');
  t.equal(deliveryReason('550 5.1.1 unknown'), null, 'a status code, not a reply to search');
  t.equal(deliveryReason(null), null);
});

t.test('a notice for each mail event, nothing for the others', async (t) => {
  const message = (type: string, data: Record<string, unknown>) => ({
    type,
    timestamp: '2026-11-26T00:00:00.000Z',
    data: { id: 'ev_1', subject: 'vf_1', ...data },
  });
  t.same(
    deliveryNotice(message('mail.bounced', { reply: '550 5.1.1 unknown', enhancedStatus: '5.1.1', source: 'smtp' })),
    { kind: 'refused', reason: 'mailbox unknown' },
  );
  t.same(
    deliveryNotice(
      message('mail.suppressed', { reason: 'the address bounced and is suppressed', enhancedStatus: '5.2.1' }),
    ),
    { kind: 'refused', reason: 'mailbox disabled' },
  );
  t.same(deliveryNotice(message('mail.deferred', { reply: '451 4.7.1 Greylisted', enhancedStatus: '4.7.1' })), {
    kind: 'delayed',
    reason: 'refused by policy',
  });
  t.same(deliveryNotice(message('mail.failed', { reason: 'code expired before delivery' })), {
    kind: 'undelivered',
    reason: null,
  });
  t.same(deliveryNotice(message('mail.sent', { reply: '250 2.0.0 Ok: queued as X', queueId: 'X' })), {
    kind: 'delivered',
    reason: null,
  });
  t.equal(deliveryNotice(message('verification.verified', {})), null);
  t.equal(deliveryNotice(message('webhook.test', {})), null);
});

t.test("a notice from a verification's delivery state, for a page opened after the event", async (t) => {
  t.same(deliveryNotice({ delivery: 'bounced', enhancedStatus: '5.1.1' }), {
    kind: 'refused',
    reason: 'mailbox unknown',
  });
  t.same(deliveryNotice({ delivery: 'deferred', enhancedStatus: '4.3.2' }), {
    kind: 'delayed',
    reason: 'mail system problem',
  });
  t.same(deliveryNotice({ delivery: 'deferred', enhancedStatus: null }), { kind: 'delayed', reason: null });
  t.equal(deliveryNotice({ delivery: 'queued', enhancedStatus: null }), null);
});
