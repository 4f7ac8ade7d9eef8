// GET /suppressions and DELETE /suppressions/{email}: the addresses a client's mail bounced
// from, and lifting one; each client sees and lifts only its own.
import { build } from '../../helpers/build.js';
import { onEachDatabase } from '../../helpers/databases.js';

/** What a receiving server says when the mailbox does not exist (nodemailer's error shape). */
const userUnknown = () =>
  Object.assign(new Error('Recipient refused'), {
    responseCode: 550,
    response: '550 5.1.1 <gone@acme.example>: Recipient address rejected: User unknown',
  });

await onEachDatabase(async (t) => {
  t.test(
    'a hard bounce is listed with the reason (addresses masked), and lifting it lets codes go out again',
    async (t) => {
      const { app, createClient, mail, clock } = await build(t);
      const acme = await createClient();
      t.same(
        (await app.inject({ method: 'GET', url: '/suppressions', headers: acme.auth })).json(),
        { suppressions: [] },
        'none yet',
      );
      mail.failWith = userUnknown();
      const { verificationId } = (
        await app.inject({
          method: 'POST',
          url: '/send-code',
          headers: acme.auth,
          payload: { email: 'gone@acme.example' },
        })
      ).json();
      await app.mailcode.worker.runOnce();
      const listed = (await app.inject({ method: 'GET', url: '/suppressions', headers: acme.auth })).json();
      t.match(listed.suppressions, [
        {
          email: 'gone@acme.example',
          reason: '550 5.1.1 <g***@acme.example>: Recipient address rejected: User unknown',
          enhancedStatus: '5.1.1',
          verificationId,
        },
      ]);
      t.equal(Date.parse(listed.suppressions[0].suppressedAt), clock.now());
      t.ok(Date.parse(listed.suppressions[0].until) > clock.now());

      mail.failWith = undefined;
      clock.advance(60_000);
      t.equal(
        (
          await app.inject({
            method: 'POST',
            url: '/send-code',
            headers: acme.auth,
            payload: { email: 'gone@acme.example' },
          })
        ).statusCode,
        422,
        'suppressed: refused at once',
      );
      const lift = await app.inject({
        method: 'DELETE',
        url: '/suppressions/gone%40acme.example',
        headers: { ...acme.auth, 'x-request-id': 'lift-1' },
      });
      t.equal(lift.statusCode, 204);
      t.same((await app.inject({ method: 'GET', url: '/suppressions', headers: acme.auth })).json(), {
        suppressions: [],
      });
      const lifted = (
        await app.inject({ method: 'GET', url: '/events?type=address.lifted', headers: acme.auth })
      ).json();
      t.match(
        lifted.events,
        [{ subject: 'g***@acme.example', actor: 'portal', requestId: 'lift-1' }],
        'the lift is in the trail, masked',
      );
      t.equal(
        (
          await app.inject({
            method: 'POST',
            url: '/send-code',
            headers: acme.auth,
            payload: { email: 'gone@acme.example' },
          })
        ).statusCode,
        202,
        'codes go out again',
      );
    },
  );

  t.test('lifting what is not suppressed is a 404; a bad address a 400', async (t) => {
    const { app, createClient } = await build(t);
    const acme = await createClient();
    const missing = await app.inject({ method: 'DELETE', url: '/suppressions/ann%40acme.example', headers: acme.auth });
    t.equal(missing.statusCode, 404);
    t.match(missing.json(), {
      code: 'suppression_not_found',
      detail: 'This address is not suppressed for this client.',
    });
    t.notMatch(missing.body, /ann@/, 'the answer does not echo the address');
    const bad = await app.inject({ method: 'DELETE', url: '/suppressions/not-an-address', headers: acme.auth });
    t.equal(bad.statusCode, 400);
    t.match(bad.json(), { code: 'invalid_request' });
  });

  t.test("another client neither sees nor lifts a client's suppression", async (t) => {
    const { app, createClient, mail } = await build(t);
    const acme = await createClient('Acme Portal', ['acme.example']);
    const other = await createClient('Other Portal', ['acme.example']);
    mail.failWith = userUnknown();
    await app.inject({
      method: 'POST',
      url: '/send-code',
      headers: acme.auth,
      payload: { email: 'gone@acme.example' },
    });
    await app.mailcode.worker.runOnce();
    t.same((await app.inject({ method: 'GET', url: '/suppressions', headers: other.auth })).json(), {
      suppressions: [],
    });
    t.equal(
      (await app.inject({ method: 'DELETE', url: '/suppressions/gone%40acme.example', headers: other.auth }))
        .statusCode,
      404,
    );
    t.equal(
      (await app.inject({ method: 'GET', url: '/suppressions', headers: acme.auth })).json().suppressions.length,
      1,
      'still suppressed for its own client',
    );
  });
});
