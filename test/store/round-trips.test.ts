// On PostgreSQL + Redis, a request's cost is its round trips: a send, an attempt and an
// authenticator code each take at most two to the database and one to Redis. Counted at
// the drivers: every pg query is one round trip (node-postgres does not pipeline), every
// write to the Redis socket is one (a pipeline is written at once).
import pg from 'pg';

import * as OTPAuth from 'otpauth';
import { build, byPortal } from '../helpers/build.js';
import { onPostgresOnly } from '../helpers/databases.js';

await onPostgresOnly(async (t) => {
  /** Counts the round trips `work` makes to PostgreSQL and to Redis. */
  async function roundTrips(redisSocket: { write: (...args: never[]) => boolean }, work: () => Promise<unknown>) {
    let database = 0;
    let redis = 0;
    const query = pg.Client.prototype.query;
    const write = redisSocket.write;
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      database++;
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query;
    redisSocket.write = function (this: unknown, ...args: never[]) {
      redis++;
      return write.apply(this, args);
    };
    try {
      await work();
    } finally {
      pg.Client.prototype.query = query;
      redisSocket.write = write;
    }
    return { database, redis };
  }

  t.test('send, verify and TOTP verify: at most two database round trips and one Redis round trip each', async (t) => {
    const { app, createClient, mail, clock } = await build(t);
    const { verification, totp, redis } = app.mailcode;
    t.ok(redis, 'Redis is configured');
    await redis!.ping();
    const socket = (redis as unknown as { stream: { write: (...args: never[]) => boolean } }).stream;
    const acme = await createClient();
    // The key ring reloads the signing keys every 30 s (in the background): not a request's cost.
    const advance = async (ms: number) => {
      clock.advance(ms);
      app.mailcode.keys.publicKeys();
      await app.mailcode.keys.settled();
    };

    // Warm: each pooled connection prepares its statements once.
    for (let i = 0; i < 3; i++) await verification.sendCode(acme, { email: `warm${i}@acme.example` }, byPortal);

    const send = await roundTrips(socket, () =>
      verification.sendCode(acme, { email: 'a@acme.example', endUserIp: '203.0.113.7' }, byPortal),
    );
    t.ok(send.database <= 2, `a first send: ${send.database} database round trips`);
    t.ok(send.redis <= 1, `a first send: ${send.redis} Redis round trip`);

    await advance(61_000);
    const resend = await roundTrips(socket, () =>
      verification.sendCode(acme, { email: 'a@acme.example', endUserIp: '203.0.113.7' }, byPortal),
    );
    t.ok(
      resend.database <= 2 && resend.redis <= 1,
      `a resend joining the pending verification: ${resend.database} and ${resend.redis}`,
    );

    const sent = await verification.sendCode(acme, { email: 'b@acme.example' }, byPortal);
    await app.mailcode.worker.runOnce();
    const code = mail.codeFor('b@acme.example');
    const wrongCode = code === '000000' ? '000001' : '000000';
    const wrong = await roundTrips(socket, () =>
      verification.verifyCode(acme, { verificationId: sent.verification.id }, wrongCode, byPortal).catch(() => {}),
    );
    t.ok(wrong.database <= 2 && wrong.redis <= 1, `a wrong code: ${wrong.database} and ${wrong.redis}`);
    const right = await roundTrips(socket, () =>
      verification.verifyCode(acme, { verificationId: sent.verification.id }, code, byPortal),
    );
    t.ok(right.database <= 2 && right.redis <= 1, `a right code: ${right.database} and ${right.redis}`);
    const unknown = await roundTrips(socket, () =>
      verification.verifyCode(acme, { verificationId: 'vf_unknown' }, code, byPortal).catch(() => {}),
    );
    t.ok(unknown.database <= 2 && unknown.redis <= 1, `an unknown id: ${unknown.database} and ${unknown.redis}`);

    const enrollment = await totp.enroll(acme, { userRef: 'user-1', accountName: 'a@acme.example' });
    const authenticator = new OTPAuth.TOTP({
      secret: OTPAuth.Secret.fromBase32(enrollment.secret),
      digits: 6,
      period: 30,
    });
    await totp.confirm(acme, enrollment.enrollmentId, authenticator.generate({ timestamp: clock.now() }), byPortal);
    await advance(30_000);
    const totpVerify = await roundTrips(socket, () =>
      totp.verify(acme, { userRef: 'user-1', code: authenticator.generate({ timestamp: clock.now() }) }, byPortal),
    );
    t.ok(
      totpVerify.database <= 2 && totpVerify.redis <= 1,
      `a TOTP code: ${totpVerify.database} and ${totpVerify.redis}`,
    );

    // Through HTTP, every API request also checks its key (one database read) and, with Redis,
    // counts against the per-client request limit (one Redis round trip).
    const http = await roundTrips(socket, () =>
      app.inject({ method: 'POST', url: '/send-code', headers: acme.auth, payload: { email: 'c@acme.example' } }),
    );
    t.comment(`POST /send-code as a whole: ${http.database} database and ${http.redis} Redis round trips`);
  });
});
