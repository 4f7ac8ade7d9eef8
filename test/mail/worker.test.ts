import { pino } from 'pino';
import { codeSecrets } from '../../src/shared/config.js';
import { retryDelayMs } from '../../src/mail/backoff.js';
import type { MailTransport } from '../../src/mail/transport.js';
import { JobLoop } from '../../src/shared/background.js';
import { MailWorker } from '../../src/mail/worker.js';
import { deriveKeys } from '../../src/shared/secrets.js';
import { build } from '../helpers/build.js';
import { onEachDatabase } from '../helpers/databases.js';

await onEachDatabase(async (t) => {
  t.test('a refused mail is retried with backoff and arrives once SMTP is back', async (t) => {
    const { app, createClient, mail, clock } = await build(t);
    const acme = await createClient();
    mail.failWith = new Error('421 try again later');
    const { verificationId } = (
      await app.inject({ method: 'POST', url: '/send-code', headers: acme.auth, payload: { email: 'a@acme.example' } })
    ).json();
    await app.mailcode.worker.runOnce();
    let state = (
      await app.inject({ method: 'GET', url: `/verifications/${verificationId}`, headers: acme.auth })
    ).json();
    t.match(state, {
      delivery: 'deferred',
      deliveryAttempts: 1,
      lastDeliveryError: '421 try again later',
      lastReply: '421 try again later',
    });
    t.equal(await app.mailcode.worker.runOnce(), 0, 'not retried before its backoff');
    mail.failWith = undefined;
    clock.advance(60_000);
    t.equal(await app.mailcode.worker.runOnce(), 1);
    state = (await app.inject({ method: 'GET', url: `/verifications/${verificationId}`, headers: acme.auth })).json();
    t.match(state, { delivery: 'sent', deliveryAttempts: 2, lastDeliveryError: null });
    t.equal(mail.sent.length, 1, 'exactly one copy');
  });

  t.test('SMTP down past the code lifetime marks the mail failed and erases it', async (t) => {
    const { app, createClient, mail, clock } = await build(t);
    const acme = await createClient();
    mail.failWith = new Error('connection refused');
    const { verificationId } = (
      await app.inject({ method: 'POST', url: '/send-code', headers: acme.auth, payload: { email: 'a@acme.example' } })
    ).json();
    for (
      let i = 0;
      i < 30 &&
      clock.now() <
        Date.parse(
          (await app.inject({ method: 'GET', url: `/verifications/${verificationId}`, headers: acme.auth })).json()
            .expiresAt,
        );
      i++
    ) {
      await app.mailcode.worker.runOnce();
      clock.advance(30_000);
    }
    await app.mailcode.worker.runOnce();
    const state = (
      await app.inject({ method: 'GET', url: `/verifications/${verificationId}`, headers: acme.auth })
    ).json();
    t.equal(state.delivery, 'failed');
    t.ok(state.deliveryAttempts >= 5, `retried ${state.deliveryAttempts} times while the code lived`);
    t.equal(await app.mailcode.store.outbox.countQueued(), 0);
    t.equal(mail.sent.length, 0);
  });

  t.test('a claimed mail is not claimed again until its lease runs out (a crashed worker)', async (t) => {
    const { app, createClient, clock } = await build(t);
    const acme = await createClient();
    await app.inject({ method: 'POST', url: '/send-code', headers: acme.auth, payload: { email: 'a@acme.example' } });
    const store = app.mailcode.store;
    t.equal((await store.outbox.claimDue(clock.now(), 60_000, 10)).length, 1, 'a worker claims it, then dies');
    t.equal((await store.outbox.claimDue(clock.now(), 60_000, 10)).length, 0, 'nobody else takes it while leased');
    clock.advance(60_000);
    t.equal(
      (await store.outbox.claimDue(clock.now(), 60_000, 10)).length,
      1,
      'after the lease it is delivered by someone else',
    );
  });

  t.test('a delivery that outlasts the lease keeps its mail: the lease is renewed while it runs', async (t) => {
    const { app, config, createClient, clock } = await build(t);
    const acme = await createClient();
    await app.inject({ method: 'POST', url: '/send-code', headers: acme.auth, payload: { email: 'a@acme.example' } });
    const store = app.mailcode.store;
    let handedOver = false;
    let finish!: () => void;
    const slow: MailTransport = {
      kind: 'smtp',
      send: async () => {
        handedOver = true;
        await new Promise<void>((resolve) => (finish = resolve));
        return { messageId: '<slow@test>' };
      },
      ready: async () => true,
      close: () => {},
    };
    const worker = new MailWorker({
      outbox: store.outbox,
      transport: slow,
      outboxKeys: deriveKeys(codeSecrets(config), 'outbox'),
      logger: pino({ level: 'silent' }),
      now: clock.now,
      leaseMs: 300,
    });
    const loop = new JobLoop(worker, { failed: (_job, error) => t.error(error), recovered: () => {} });
    loop.start();
    // The worker's timers do not keep a process alive; this wait does.
    for (let i = 0; i < 100 && !handedOver; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    t.ok(handedOver, 'the worker claimed the mail and is delivering it');
    clock.advance(1_000); // past the lease taken at the claim
    await new Promise((resolve) => setTimeout(resolve, 400)); // renewals run every 100 ms
    t.equal(
      (await store.outbox.claimDue(clock.now(), 300, 10)).length,
      0,
      'another worker cannot take it mid-delivery',
    );
    finish();
    await loop.stop();
    t.equal(await store.outbox.countQueued(), 0, 'delivered once');
  });

  t.test('the background worker delivers without being driven', async (t) => {
    const { app, createClient, mail } = await build(t);
    const acme = await createClient();
    app.mailcode.background.start();
    await app.inject({ method: 'POST', url: '/send-code', headers: acme.auth, payload: { email: 'a@acme.example' } });
    for (let i = 0; i < 100 && mail.sent.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    t.equal(mail.sent.length, 1);
    await app.mailcode.background.stop();
  });

  t.test('backoff doubles up to a minute, with jitter between half and the whole step', async (t) => {
    t.equal(
      retryDelayMs(0, () => 0),
      500,
    );
    t.equal(
      retryDelayMs(0, () => 1),
      1000,
    );
    t.equal(
      retryDelayMs(3, () => 1),
      8000,
    );
    t.equal(
      retryDelayMs(20, () => 1),
      60_000,
    );
    t.equal(
      retryDelayMs(20, () => 0),
      30_000,
    );
  });
  t.test(
    'the database away while a sent mail is recorded: the worker waits for it, the mail goes once, nothing ends the process',
    async (t) => {
      const { app, config, createClient, clock, mail } = await build(t);
      const acme = await createClient();
      await app.inject({ method: 'POST', url: '/send-code', headers: acme.auth, payload: { email: 'a@acme.example' } });
      await app.inject({ method: 'POST', url: '/send-code', headers: acme.auth, payload: { email: 'b@acme.example' } });
      const store = app.mailcode.store;
      let refusals = 2;
      const shutDown = Object.assign(new Error('terminating connection due to administrator command'), {
        code: '57P01',
      });
      // The outbox as PostgreSQL answers it during a restart: the first writes are refused.
      const restarting = new Proxy(store.outbox, {
        get(target, name, receiver) {
          const value = Reflect.get(target, name, receiver);
          if (name !== 'markSent') return typeof value === 'function' ? value.bind(target) : value;
          return async (...args: unknown[]) => {
            if (refusals-- > 0) throw shutDown;
            return (value as (...a: unknown[]) => Promise<void>).apply(target, args);
          };
        },
      });
      let unhandled: unknown;
      const onUnhandled = (reason: unknown) => (unhandled = reason);
      process.on('unhandledRejection', onUnhandled);
      t.teardown(() => void process.off('unhandledRejection', onUnhandled));
      const worker = new MailWorker({
        outbox: restarting,
        transport: mail,
        outboxKeys: deriveKeys(codeSecrets(config), 'outbox'),
        logger: pino({ level: 'silent' }),
        now: clock.now,
        leaseMs: 10_000,
      });
      const loop = new JobLoop(worker, { failed: (_job, error) => t.error(error), recovered: () => {} });
      loop.start();
      const deadline = Date.now() + 10_000;
      while ((await store.outbox.countQueued()) > 0 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      await loop.stop();
      t.equal(unhandled, undefined, 'no unhandled rejection');
      t.equal(await store.outbox.countQueued(), 0, 'both mails recorded as sent once the database answered');
      t.same(mail.sent.map((m) => m.to).sort(), ['a@acme.example', 'b@acme.example'], 'each handed over once');
    },
  );

  t.test(
    "an unexpected error in a delivery's bookkeeping is logged; the mail waits for its lease, and nothing ends the process",
    async (t) => {
      const { app, config, createClient, clock, mail } = await build(t);
      const acme = await createClient();
      await app.inject({ method: 'POST', url: '/send-code', headers: acme.auth, payload: { email: 'a@acme.example' } });
      const store = app.mailcode.store;
      const broken = new Proxy(store.outbox, {
        get(target, name, receiver) {
          const value = Reflect.get(target, name, receiver);
          if (name === 'markSent') return async () => Promise.reject(new TypeError('a bug'));
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      let unhandled: unknown;
      const onUnhandled = (reason: unknown) => (unhandled = reason);
      process.on('unhandledRejection', onUnhandled);
      t.teardown(() => void process.off('unhandledRejection', onUnhandled));
      const lines: string[] = [];
      const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
      const worker = new MailWorker({
        outbox: broken,
        transport: mail,
        outboxKeys: deriveKeys(codeSecrets(config), 'outbox'),
        logger,
        now: clock.now,
        leaseMs: 10_000,
      });
      const loop = new JobLoop(worker, { failed: (_job, error) => t.error(error), recovered: () => {} });
      loop.start();
      const deadline = Date.now() + 5_000;
      while (!lines.some((l) => l.includes('failed unexpectedly')) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      await loop.stop();
      t.equal(unhandled, undefined, 'no unhandled rejection');
      t.ok(
        lines.some((l) => l.includes('a bug') && l.includes('failed unexpectedly')),
        'logged with its error',
      );
      t.equal(await store.outbox.countQueued(), 1, 'the mail is still queued: it comes back after its lease');
    },
  );
});
