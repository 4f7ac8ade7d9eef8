import { createRequire } from 'node:module';
import { build } from '../helpers/build.js';
import { onEachDatabase } from '../helpers/databases.js';

await onEachDatabase(async (t) => {
  const require = createRequire(import.meta.url);
  const parsePrometheus = require('parse-prometheus-text-format') as (text: string) => {
    name: string;
    type: string;
    metrics: { value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string }[];
  }[];

  t.test('/metrics parses as Prometheus text and the counters move as codes are sent and verified', async (t) => {
    const { app, createClient, sendCode, verifyCode, mail } = await build(t);
    const acme = await createClient();
    const scrape = async () => {
      const response = await app.inject({ method: 'GET', url: '/metrics' });
      t.match(response.headers['content-type'], /^text\/plain/);
      const families = parsePrometheus(response.body);
      const value = (name: string, labels: Record<string, string> = {}) =>
        Number(
          families
            .find((f) => f.name === name)
            ?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value ?? 0,
        );
      return { families, value, text: response.body };
    };
    const before = await scrape();
    t.ok(before.families.length > 10, 'a parseable exposition with many families');

    const { verificationId } = (await sendCode(acme.apiKey, { email: 'a@acme.example' })).json();
    const code = mail.codeFor('a@acme.example');
    await sendCode(acme.apiKey, { email: 'a@acme.example' }); // within the cooldown → rate limited
    await verifyCode(acme.apiKey, { verificationId, code: code === '000000' ? '000001' : '000000' });
    await verifyCode(acme.apiKey, { verificationId, code });

    const after = await scrape();
    t.equal(after.value('mailcode_codes_sent_total'), 1);
    t.equal(after.value('mailcode_codes_verified_total'), 1);
    t.equal(after.value('mailcode_codes_failed_total'), 1);
    t.equal(after.value('mailcode_mail_delivered_total'), 1);
    t.equal(after.value('mailcode_rate_limited_total', { limit: 'cooldown' }), 1);
    const latency = after.families.find((f) => f.name === 'mailcode_http_request_duration_seconds');
    t.equal(latency?.type, 'HISTOGRAM');
    // (the parser keeps no labels on histogram series, so the _count lines are read directly)
    const sendCodeRequests = [
      ...after.text.matchAll(/^mailcode_http_request_duration_seconds_count\{[^}]*route="\/send-code"[^}]*\} (\d+)$/gm),
    ].reduce((n, m) => n + Number(m[1]), 0);
    t.equal(sendCodeRequests, 2, 'the HTTP histogram counts by route pattern (a 202 and a 429)');
    t.ok(
      after.families.some((f) => f.name === 'mailcode_mail_delivery_seconds'),
      'mail delivery latency',
    );
  });
});
