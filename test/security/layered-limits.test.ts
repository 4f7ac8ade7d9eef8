// Each limit is hit, and lifted by the injected clock at exactly the moment it promises.
import type { Test } from 'tap';
import { buildApp } from '../../src/main/app.js';
import { build, CapturingTransport, LogCapture } from '../helpers/build.js';
import { onPostgres } from '../helpers/databases.js';
import { onEachDatabase } from '../helpers/databases.js';

await onEachDatabase(async (t) => {
  const second = 1000;
  const minute = 60 * second;
  const hour = 60 * minute;

  /** Retry-After says when; the clock goes to one millisecond before, then to the moment. */
  async function liftedExactly(
    t: Test,
    ctx: Awaited<ReturnType<typeof build>>,
    apiKey: string,
    body: Record<string, unknown>,
  ) {
    const refused = await ctx.sendCode(apiKey, body);
    t.equal(refused.statusCode, 429);
    t.equal(refused.json().code, 'rate_limited');
    const retryAfter = Number(refused.headers['retry-after']);
    t.equal(refused.json().retryAfter, retryAfter, 'body and header agree');
    return { refused, retryAfter };
  }

  t.test('per end-user IP: 20 an hour, IPv6 counted by its /64', async (t) => {
    const ctx = await build(t);
    const acme = await ctx.createClient();
    for (let i = 0; i < 20; i++) {
      // Rotating the interface identifier inside one /64 buys nothing.
      const ip = `2001:db8:1:2:${i.toString(16)}::1`;
      t.equal((await ctx.sendCode(acme.apiKey, { email: `u${i}@acme.example`, endUserIp: ip })).statusCode, 202);
    }
    const start = ctx.clock.now();
    const { retryAfter } = await liftedExactly(t, ctx, acme.apiKey, {
      email: 'u20@acme.example',
      endUserIp: '2001:db8:1:2:ffff::9',
    });
    t.equal(retryAfter, 3600);
    t.equal(
      (await ctx.sendCode(acme.apiKey, { email: 'u21@acme.example', endUserIp: '2001:db8:1:3::1' })).statusCode,
      202,
      'the next /64 is another subscriber',
    );
    ctx.clock.time = start + hour - 1;
    t.equal(
      (await ctx.sendCode(acme.apiKey, { email: 'u22@acme.example', endUserIp: '2001:db8:1:2::5' })).statusCode,
      429,
    );
    ctx.clock.time = start + hour;
    t.equal(
      (await ctx.sendCode(acme.apiKey, { email: 'u23@acme.example', endUserIp: '2001:db8:1:2::5' })).statusCode,
      202,
    );
  });

  t.test('an IPv4-mapped IPv6 address counts as its IPv4 address', async (t) => {
    const ctx = await build(t, { env: { SENDS_PER_IP_HOUR: '1' } });
    const acme = await ctx.createClient();
    t.equal((await ctx.sendCode(acme.apiKey, { email: 'a@acme.example', endUserIp: '198.51.100.7' })).statusCode, 202);
    t.equal(
      (await ctx.sendCode(acme.apiKey, { email: 'b@acme.example', endUserIp: '::ffff:198.51.100.7' })).statusCode,
      429,
    );
  });

  t.test(
    'per recipient domain: the limit protects a company mail server, lifted when its bucket leaves the hour',
    async (t) => {
      const ctx = await build(t, { env: { DOMAIN_MAILS_PER_HOUR: '3' } });
      const acme = await ctx.createClient('Acme', ['acme.example', 'initech.example']);
      const start = ctx.clock.now(); // 09:00:00.000, the start of a one-minute bucket
      for (let i = 0; i < 3; i++) {
        t.equal((await ctx.sendCode(acme.apiKey, { email: `p${i}@acme.example` })).statusCode, 202);
        ctx.clock.advance(10 * minute);
      }
      const { retryAfter, refused } = await liftedExactly(t, ctx, acme.apiKey, { email: 'p3@acme.example' });
      t.match(refused.json().detail, /mail domain/);
      t.equal(retryAfter, (start + hour - ctx.clock.now()) / 1000, 'when the first bucket leaves the window');
      t.equal(
        (await ctx.sendCode(acme.apiKey, { email: 'x@initech.example' })).statusCode,
        202,
        'another domain is not limited',
      );
      ctx.clock.time = start + hour - 1;
      t.equal((await ctx.sendCode(acme.apiKey, { email: 'p4@acme.example' })).statusCode, 429);
      ctx.clock.time = start + hour;
      t.equal((await ctx.sendCode(acme.apiKey, { email: 'p5@acme.example' })).statusCode, 202);
      t.equal(
        (await ctx.sendCode(acme.apiKey, { email: 'p6@acme.example' })).statusCode,
        429,
        'one freed slot, one send',
      );
    },
  );

  t.test('the global ceiling on outgoing mail per minute', async (t) => {
    const ctx = await build(t, { env: { GLOBAL_MAILS_PER_MINUTE: '4' } });
    const one = await ctx.createClient('One', ['acme.example']);
    const two = await ctx.createClient('Two', ['initech.example']);
    const start = ctx.clock.now();
    for (let i = 0; i < 4; i++) {
      t.equal(
        (await ctx.sendCode(i % 2 ? one.apiKey : two.apiKey, { email: `g${i}@${i % 2 ? 'acme' : 'initech'}.example` }))
          .statusCode,
        202,
      );
    }
    const { retryAfter, refused } = await liftedExactly(t, ctx, one.apiKey, { email: 'g4@acme.example' });
    t.equal(retryAfter, 60);
    t.match(refused.json().detail, /as many mails as it may/);
    ctx.clock.time = start + minute - 1;
    t.equal(
      (await ctx.sendCode(two.apiKey, { email: 'g5@initech.example' })).statusCode,
      429,
      'every client shares the ceiling',
    );
    ctx.clock.time = start + minute;
    t.equal((await ctx.sendCode(two.apiKey, { email: 'g6@initech.example' })).statusCode, 202);
  });

  t.test('guessing: 20 wrong codes for an address in an hour pause sends to it', async (t) => {
    const ctx = await build(t);
    const acme = await ctx.createClient();
    const start = ctx.clock.now();
    for (let round = 0; round < 4; round++) {
      const sent = await ctx.sendCode(acme.apiKey, { email: 'target@acme.example' });
      t.equal(sent.statusCode, 202, `verification ${round + 1}`);
      const { verificationId } = sent.json();
      const right = ctx.mail.codeFor('target@acme.example');
      for (let i = 0; i < 5; i++) {
        const guess = String(i).padStart(6, '0') === right ? '999999' : String(i).padStart(6, '0');
        await ctx.verifyCode(acme.apiKey, { verificationId, code: guess });
      }
      ctx.clock.advance(minute);
    }
    const { retryAfter, refused } = await liftedExactly(t, ctx, acme.apiKey, { email: 'target@acme.example' });
    t.match(refused.json().detail, /wrong codes/);
    t.equal(retryAfter, (start + hour - ctx.clock.now()) / 1000, 'until the first wrong codes leave the hour');
    t.equal(
      (await ctx.sendCode(acme.apiKey, { email: 'other@acme.example' })).statusCode,
      202,
      'other addresses are not paused',
    );
    ctx.clock.time = start + hour - 1;
    t.equal((await ctx.sendCode(acme.apiKey, { email: 'target@acme.example' })).statusCode, 429);
    ctx.clock.time = start + hour;
    t.equal(
      (await ctx.sendCode(acme.apiKey, { email: 'target@acme.example' })).statusCode,
      202,
      'the first five wrong codes have left the window',
    );
  });

  t.test(
    'per API client: requests per second, lifted when the window passes',
    { skip: onPostgres && 'with REDIS_URL the window is kept by Redis, on its own clock: see the test below' },
    async (t) => {
      const ctx = await build(t, { env: { CLIENT_REQUESTS_PER_SECOND: '3' } });
      // @fastify/rate-limit reads Date.now(); it follows the test clock here.
      const realNow = Date.now;
      Date.now = ctx.clock.now;
      t.teardown(() => {
        Date.now = realNow;
      });
      const acme = await ctx.createClient();
      const get = () => ctx.app.inject({ method: 'GET', url: '/verifications/vf_none', headers: acme.auth });
      for (let i = 0; i < 6; i++)
        t.equal((await get()).statusCode, 404, `request ${i + 1} of a burst of twice the rate`);
      const limited = await get();
      t.equal(limited.statusCode, 429);
      t.equal(limited.headers['retry-after'], '2');
      ctx.clock.advance(2 * second - 1);
      t.equal((await get()).statusCode, 429, 'one millisecond early');
      ctx.clock.advance(1);
      t.equal((await get()).statusCode, 404, 'a new window');
    },
  );

  t.test(
    'per API client, with Redis: one budget for all processes, lifted when Redis ends the window',
    { skip: !onPostgres && 'needs Redis: runs in the PostgreSQL + Redis half' },
    async (t) => {
      const ctx = await build(t, { env: { CLIENT_REQUESTS_PER_SECOND: '3' } });
      // A second process on the same database and Redis.
      const other = await buildApp(ctx.configWith(), {
        now: ctx.clock.now,
        transport: new CapturingTransport(),
        logStream: new LogCapture(),
        startWorker: false,
      });
      t.teardown(() => other.close());
      const acme = await ctx.createClient();
      const get = (app: typeof other) =>
        app.inject({ method: 'GET', url: '/verifications/vf_none', headers: acme.auth });
      for (let i = 0; i < 6; i++)
        t.equal(
          (await get(i % 2 ? other : ctx.app)).statusCode,
          404,
          `request ${i + 1} of a burst of twice the rate, split over two processes`,
        );
      const limited = await get(ctx.app);
      t.equal(limited.statusCode, 429, 'the seventh is refused, though each process saw only three');
      t.equal((await get(other)).statusCode, 429, 'by either process');
      t.ok(Number(limited.headers['retry-after']) <= 2, 'Retry-After is within the two-second window');
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      t.equal((await get(other)).statusCode, 404, 'a new window');
    },
  );
});
