import { build } from '../../helpers/build.js';
import { onEachDatabase } from '../../helpers/databases.js';

await onEachDatabase(async (t) => {
  const second = 1000;
  const minute = 60 * second;
  const hour = 60 * minute;

  t.test('a resend within the 30 s cooldown is 429 with Retry-After, and allowed at 30 s', async (t) => {
    const { createClient, sendCode, clock } = await build(t);
    const acme = await createClient();
    t.equal((await sendCode(acme.apiKey, { email: 'a@acme.example' })).statusCode, 202);
    clock.advance(10 * second);
    const early = await sendCode(acme.apiKey, { email: 'a@acme.example' });
    t.equal(early.statusCode, 429);
    t.equal(early.headers['retry-after'], '20');
    t.match(early.json(), { code: 'rate_limited', retryAfter: 20, status: 429 });
    clock.advance(20 * second - 1);
    t.equal((await sendCode(acme.apiKey, { email: 'a@acme.example' })).statusCode, 429, 'one millisecond early');
    clock.advance(1);
    t.equal((await sendCode(acme.apiKey, { email: 'a@acme.example' })).statusCode, 202, 'exactly at the cooldown');
  });

  t.test('the cooldown is per client + email + purpose', async (t) => {
    const { createClient, sendCode } = await build(t);
    const acme = await createClient();
    t.equal((await sendCode(acme.apiKey, { email: 'a@acme.example', purpose: 'login' })).statusCode, 202);
    t.equal((await sendCode(acme.apiKey, { email: 'a@acme.example', purpose: 'signup' })).statusCode, 202);
    t.equal((await sendCode(acme.apiKey, { email: 'b@acme.example', purpose: 'login' })).statusCode, 202);
  });

  t.test('five mails per address per hour; the sixth waits until the first leaves the window', async (t) => {
    const { createClient, sendCode, clock, mail } = await build(t);
    const acme = await createClient();
    const first = clock.now();
    for (let i = 0; i < 5; i++) {
      t.equal((await sendCode(acme.apiKey, { email: 'a@acme.example' })).statusCode, 202, `send ${i + 1}`);
      clock.advance(minute);
    }
    const sixth = await sendCode(acme.apiKey, { email: 'a@acme.example' });
    t.equal(sixth.statusCode, 429);
    t.equal(sixth.json().code, 'rate_limited');
    t.equal(sixth.json().retryAfter, Math.ceil((first + hour - clock.now()) / 1000));
    t.equal(mail.sent.length, 5, 'no sixth mail');
    clock.time = first + hour - 1;
    t.equal((await sendCode(acme.apiKey, { email: 'a@acme.example' })).statusCode, 429, 'still inside the hour');
    clock.time = first + hour;
    t.equal(
      (await sendCode(acme.apiKey, { email: 'a@acme.example' })).statusCode,
      202,
      'the first send has left the window',
    );
  });

  t.test('twenty mails per address per day', async (t) => {
    const { createClient, sendCode, clock } = await build(t);
    const acme = await createClient();
    const start = clock.now();
    for (let i = 0; i < 20; i++) {
      t.equal((await sendCode(acme.apiKey, { email: 'a@acme.example' })).statusCode, 202, `send ${i + 1}`);
      clock.advance(hour / 4 + second); // 4 per hour, below the hourly limit
    }
    const over = await sendCode(acme.apiKey, { email: 'a@acme.example' });
    t.equal(over.statusCode, 429);
    t.equal(over.json().retryAfter, Math.ceil((start + 24 * hour - clock.now()) / 1000));
    clock.time = start + 24 * hour;
    t.equal((await sendCode(acme.apiKey, { email: 'a@acme.example' })).statusCode, 202);
  });

  t.test('the per-address limit counts across clients', async (t) => {
    const { createClient, sendCode, clock } = await build(t);
    const one = await createClient('One', ['acme.example']);
    const two = await createClient('Two', ['acme.example']);
    for (let i = 0; i < 5; i++) {
      t.equal((await sendCode(i % 2 ? one.apiKey : two.apiKey, { email: 'a@acme.example' })).statusCode, 202);
      clock.advance(31 * second);
    }
    for (const key of [one.apiKey, two.apiKey]) {
      const response = await sendCode(key, { email: 'a@acme.example' });
      t.equal(response.statusCode, 429);
      t.match(response.json().detail, /last hour/);
    }
  });

  t.test('twenty sends per end-user IP per hour', async (t) => {
    const { createClient, sendCode, clock } = await build(t);
    const acme = await createClient();
    for (let i = 0; i < 20; i++) {
      t.equal(
        (await sendCode(acme.apiKey, { email: `user${i}@acme.example`, endUserIp: '203.0.113.7' })).statusCode,
        202,
      );
    }
    const over = await sendCode(acme.apiKey, { email: 'user20@acme.example', endUserIp: '203.0.113.7' });
    t.equal(over.statusCode, 429);
    t.match(over.json().detail, /IP/);
    t.equal(
      (await sendCode(acme.apiKey, { email: 'user20@acme.example', endUserIp: '203.0.113.8' })).statusCode,
      202,
      'another IP is not limited',
    );
    clock.advance(hour);
    t.equal((await sendCode(acme.apiKey, { email: 'user21@acme.example', endUserIp: '203.0.113.7' })).statusCode, 202);
  });

  t.test('limits are kept in the database and survive a restart', async (t) => {
    const first = await build(t);
    const acme = await first.createClient();
    for (let i = 0; i < 5; i++) {
      await first.sendCode(acme.apiKey, { email: 'a@acme.example' });
      first.clock.advance(minute);
    }
    // A second app on the same database file, as after a restart.
    const { buildApp } = await import('../../../src/main/app.js');
    await first.app.close();
    const restarted = await buildApp(first.config, {
      now: first.clock.now,
      transport: first.mail,
      startWorker: false,
      logStream: first.logs,
    });
    t.teardown(() => restarted.close());
    const response = await restarted.inject({
      method: 'POST',
      url: '/send-code',
      headers: acme.auth,
      payload: { email: 'a@acme.example' },
    });
    t.equal(response.statusCode, 429);
  });

  t.test('each API client is limited to its requests per second', async (t) => {
    const { createClient, app } = await build(t, { env: { CLIENT_REQUESTS_PER_SECOND: '5' } });
    const acme = await createClient();
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      statuses.push(
        (await app.inject({ method: 'GET', url: '/verifications/vf_none', headers: acme.auth })).statusCode,
      );
    }
    t.same(statuses.slice(0, 10), Array(10).fill(404), 'a burst of twice the rate passes');
    const limited = await app.inject({ method: 'GET', url: '/verifications/vf_none', headers: acme.auth });
    t.equal(limited.statusCode, 429);
    t.equal(limited.json().code, 'rate_limited');
    t.ok(Number(limited.headers['retry-after']) >= 1);
    const other = await createClient('Other', ['acme.example']);
    t.equal(
      (await app.inject({ method: 'GET', url: '/verifications/vf_none', headers: other.auth })).statusCode,
      404,
      'another client is not limited',
    );
  });
});
