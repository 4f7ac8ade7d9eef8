// The overview's figures from a handful of events: hour by hour, delivery, bounces, webhooks.
import t from 'tap';
import type { AuditEvent, EventType } from '../../src/events/model.js';
import { summarize } from '../../src/operators/overview.js';

const now = Date.parse('2026-12-03T12:30:00Z');
let seq = 0;
const ev = (type: EventType, at: number, extra: Partial<AuditEvent> = {}): AuditEvent => ({
  id: `ev_${++seq}`,
  seq,
  type,
  at,
  clientId: 'cl_a',
  subject: 'vf_1',
  maskedEmail: 'a***@acme.example',
  requestId: null,
  actor: 'portal',
  actorId: null,
  data: {},
  ...extra,
});

t.test('24 hours, hour by hour, oldest first, ending with the current hour', async (t) => {
  const o = summarize(
    [
      ev('verification.created', now),
      ev('verification.code_resent', now - 3_600_000),
      ev('verification.verified', now),
      ev('verification.locked', now - 23 * 3_600_000),
    ],
    [],
    now,
  );
  t.equal(o.hours.length, 24);
  t.equal(o.hours[23]!.start, Date.parse('2026-12-03T12:00:00Z'));
  t.equal(o.since, Date.parse('2026-12-02T13:00:00Z'));
  t.same(o.hours[23]!.counts, { sent: 1, verified: 1, failed: 0, locked: 0 });
  t.same(o.hours[22]!.counts, { sent: 1, verified: 0, failed: 0, locked: 0 }, 'a resend is a code sent');
  t.same(o.hours[0]!.counts.locked, 1);
  t.same(o.totals, { sent: 2, verified: 1, failed: 0, locked: 1 });
});

t.test(
  'failed: mail that failed for good, or a code that expired unused; delivery counts only mail that reached an end',
  async (t) => {
    const o = summarize(
      [
        ev('mail.sent', now),
        ev('mail.sent', now),
        ev('mail.sent', now),
        ev('mail.bounced', now, { maskedEmail: 'b***@globex.example' }),
        ev('mail.bounced', now, { maskedEmail: 'c***@globex.example' }),
        ev('mail.bounced', now, { maskedEmail: 'd***@acme.example' }),
        ev('mail.failed', now, { data: { reason: 'SMTP said no, for good' } }),
        ev('mail.failed', now, { data: { reason: 'code expired before delivery' } }),
        ev('verification.expired', now),
        ev('mail.deferred', now),
      ],
      [],
      now,
    );
    t.equal(o.totals.failed, 3);
    t.same(
      o.delivery,
      { delivered: 3, bounced: 3, failed: 1, rate: 3 / 7 },
      "a code that expired in the queue is not the mail server's failure",
    );
    t.same(
      o.bouncesByDomain,
      [
        { domain: 'globex.example', count: 2 },
        { domain: 'acme.example', count: 1 },
      ],
      'most first',
    );
    t.equal(summarize([], [], now).delivery.rate, null, 'no rate without mail');
  },
);

t.test('webhook health: active and disabled endpoints, and why', async (t) => {
  const o = summarize(
    [],
    [
      { id: 'wh_1', clientId: 'cl_a', url: 'https://a.example/h', status: 'active', disabledReason: null },
      {
        id: 'wh_2',
        clientId: 'cl_b',
        url: 'https://b.example/h',
        status: 'disabled',
        disabledReason: 'failing for 24 hours',
      },
    ],
    now,
  );
  t.same(o.webhooks, {
    total: 2,
    active: 1,
    disabled: 1,
    disabledList: [
      { id: 'wh_2', clientId: 'cl_b', url: 'https://b.example/h', disabledReason: 'failing for 24 hours' },
    ],
  });
  t.equal(summarize([], [], now, true).truncated, true, 'says when it read only part');
});
