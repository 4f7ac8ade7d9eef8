// Webhook rules without a database or a network: where a webhook may go, how far a fan-out
// may hand events on, how retries back off.
import fc from 'fast-check';
import t from 'tap';
import { gapGraceMs, handOn, horizon } from '../../src/webhooks/fan-out.js';
import { deliveryWindowMs, retryDelayMs, webhookPayload } from '../../src/webhooks/model.js';
import { checkAddress, checkWebhookUrl } from '../../src/webhooks/url-policy.js';

const production = { production: true, allowed: [] };
const development = { production: false, allowed: [] };

t.test('a webhook URL: https; http only to loopback outside production; no credentials', async (t) => {
  t.same(checkWebhookUrl('https://portal.acme.example/hooks', production), { ok: true });
  t.match(checkWebhookUrl('http://portal.acme.example/hooks', production), { ok: false, reason: /https is required/ });
  t.match(checkWebhookUrl('http://127.0.0.1:8080/hooks', production), { ok: false });
  t.same(checkWebhookUrl('http://127.0.0.1:8080/hooks', development), { ok: true });
  t.same(checkWebhookUrl('http://localhost:8080/hooks', development), { ok: true });
  t.match(checkWebhookUrl('http://portal.acme.example/hooks', development), { ok: false, reason: /loopback/ });
  t.match(checkWebhookUrl('ftp://portal.acme.example/', development), { ok: false });
  t.match(checkWebhookUrl('https://user:pw@portal.acme.example/', production), { ok: false, reason: /credentials/ });
  t.match(checkWebhookUrl('not a url', production), { ok: false });
});

t.test('in production, a private, loopback, link-local or reserved target is refused unless listed', async (t) => {
  for (const ip of [
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '127.0.0.1',
    '169.254.169.254',
    '0.0.0.0',
    '100.64.0.1',
    '::1',
    'fe80::1',
    'fd00::1',
    '::ffff:10.0.0.1',
    '::ffff:127.0.0.1',
  ]) {
    t.match(checkAddress('hooks.acme.example', ip, production), { ok: false }, ip);
    t.match(
      checkWebhookUrl(`https://${ip.includes(':') ? `[${ip}]` : ip}/hooks`, production),
      { ok: false },
      `${ip} as the URL's host`,
    );
  }
  t.same(checkAddress('hooks.acme.example', '93.184.216.34', production), { ok: true }, 'a public address');
  t.same(
    checkAddress('hooks.internal', '10.1.2.3', { production: true, allowed: ['10.1.0.0/16'] }),
    { ok: true },
    'a listed range',
  );
  t.same(
    checkAddress('hooks.internal', '10.1.2.3', { production: true, allowed: ['hooks.internal'] }),
    { ok: true },
    'a listed name',
  );
  t.match(
    checkAddress('hooks.internal', '10.2.0.1', { production: true, allowed: ['10.1.0.0/16'] }),
    { ok: false },
    'outside the listed range',
  );
});

t.test('property: no private or loopback IPv4 address is ever a production target', async () => {
  const octet = fc.integer({ min: 0, max: 255 });
  const privateV4 = fc.oneof(
    fc.tuple(octet, octet, octet).map(([a, b, c]) => `10.${a}.${b}.${c}`),
    fc.tuple(fc.integer({ min: 16, max: 31 }), octet, octet).map(([a, b, c]) => `172.${a}.${b}.${c}`),
    fc.tuple(octet, octet).map(([a, b]) => `192.168.${a}.${b}`),
    fc.tuple(octet, octet, octet).map(([a, b, c]) => `127.${a}.${b}.${c}`),
    fc.tuple(octet, octet).map(([a, b]) => `169.254.${a}.${b}`),
  );
  fc.assert(
    fc.property(privateV4, fc.boolean(), (ip, mapped) => {
      const address = mapped ? `::ffff:${ip}` : ip;
      return (
        !checkAddress('x.example', address, production).ok &&
        !checkWebhookUrl(`https://${mapped ? `[${address}]` : address}/`, production).ok
      );
    }),
    { numRuns: 500 },
  );
});

t.test('a fan-out hands events on up to the first gap that is younger than the grace', async (t) => {
  const now = 1_000_000;
  const at = (seq: number, age = 60_000) => ({ seq, at: now - age });
  t.equal(horizon([at(11), at(12), at(13)], 10, now), 13, 'no gap');
  t.equal(horizon([at(11), at(13, 1_000), at(14)], 10, now), 11, 'a fresh gap: 12 may still commit');
  t.equal(horizon([at(11), at(13, gapGraceMs), at(14)], 10, now), 14, 'an old gap: 12 rolled back');
  t.equal(horizon([], 10, now), 10, 'nothing new');
});

t.test('retries back off from 5 s, doubling, capped at an hour, within a day', async (t) => {
  const fixed = () => 0.5;
  t.equal(retryDelayMs(1, fixed), 5_000);
  t.equal(retryDelayMs(2, fixed), 10_000);
  t.equal(retryDelayMs(30, fixed), 3_600_000);
  t.ok(retryDelayMs(3, () => 0) >= 18_000 && retryDelayMs(3, () => 1) <= 22_000, 'jitter of ±10%');
  let elapsed = 0;
  let attempts = 0;
  while (elapsed < deliveryWindowMs) elapsed += retryDelayMs(++attempts, fixed);
  t.ok(attempts > 20 && attempts < 40, `${attempts} attempts in a day`);
});

t.test('a webhook body is Standard Webhooks JSON: type, timestamp, data with the event id', async (t) => {
  const body = JSON.parse(
    webhookPayload({
      id: 'ev_1',
      type: 'mail.bounced',
      at: Date.parse('2026-11-25T10:00:00Z'),
      subject: 'vf_1',
      maskedEmail: 'a***@acme.example',
      requestId: null,
      actor: 'mailcode',
      data: { reply: '550' },
    }),
  );
  t.same(body, {
    type: 'mail.bounced',
    timestamp: '2026-11-25T10:00:00.000Z',
    data: { id: 'ev_1', subject: 'vf_1', email: 'a***@acme.example', requestId: null, actor: 'mailcode', reply: '550' },
  });
});

t.test('an endpoint takes the types it hears, and its cursor moves past the batch or to the horizon', async (t) => {
  const batch = [
    { seq: 3, type: 'mail.sent' },
    { seq: 7, type: 'mail.bounced' },
  ];
  t.same(handOn([], batch, 10, 20), { heard: batch, cursor: 20 }, 'every type; a short batch ends at the horizon');
  t.same(handOn(['mail.bounced'], batch, 10, 20), { heard: [batch[1]], cursor: 20 });
  t.same(handOn(['mail.bounced'], batch, 2, 20), { heard: [batch[1]], cursor: 7 }, 'a full batch: more may follow it');
});
