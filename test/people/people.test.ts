// A person of a portal: a code sent with the person's user reference and verified proves the
// address for them; GET /people/{userRef} lists it with their authenticator; every assertion
// that knows the person carries the same user_ref.
import { decodeJwt } from 'jose';
import * as OTPAuth from 'otpauth';
import { build } from '../helpers/build.js';
import { onEachDatabase } from '../helpers/databases.js';

await onEachDatabase(async (t) => {
  t.test('a right code sent for a person proves the address for them, and the assertion says whose', async (t) => {
    const { app, createClient, sendCode, verifyCode, mail, clock } = await build(t);
    const acme = await createClient();
    const person = async (userRef: string) =>
      app.inject({ method: 'GET', url: `/people/${encodeURIComponent(userRef)}`, headers: acme.auth });

    t.same(
      (await person('user-7')).json(),
      { userRef: 'user-7', addresses: [], authenticator: null, recovery: null, passkeys: [] },
      'nobody yet',
    );

    const sent = await sendCode(acme.apiKey, { email: 'pat@acme.example', purpose: 'signup', userRef: 'user-7' });
    t.equal(sent.statusCode, 202);
    t.same((await person('user-7')).json().addresses, [], 'a code sent proves nothing yet');
    const verified = await verifyCode(acme.apiKey, {
      email: 'pat@acme.example',
      purpose: 'signup',
      code: mail.codeFor('pat@acme.example'),
    });
    t.equal(verified.statusCode, 200);
    const claims = decodeJwt(verified.json().assertion);
    t.equal(claims.user_ref, 'user-7', 'the email assertion names the person');
    t.equal(claims.sub, 'pat@acme.example', 'its subject stays the address');

    clock.advance(60_000);
    await sendCode(acme.apiKey, { email: 'pat.smith@acme.example', userRef: 'user-7' });
    await verifyCode(acme.apiKey, {
      email: 'pat.smith@acme.example',
      purpose: 'login',
      code: mail.codeFor('pat.smith@acme.example'),
    });
    const found = (await person('user-7')).json();
    t.match(found.addresses, [
      { email: 'pat.smith@acme.example', purpose: 'login', provenAt: new Date(clock.now()).toISOString() },
      { email: 'pat@acme.example', purpose: 'signup', verificationId: sent.json().verificationId },
    ]);

    const enrolment = await app.inject({
      method: 'POST',
      url: '/totp/enrollments',
      headers: acme.auth,
      payload: { userRef: 'user-7', accountName: 'pat@acme.example' },
    });
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(enrolment.json().secret) });
    await app.inject({
      method: 'POST',
      url: `/totp/enrollments/${enrolment.json().enrollmentId}/confirm`,
      headers: acme.auth,
      payload: { code: totp.generate({ timestamp: clock.now() }) },
    });
    t.match((await person('user-7')).json().authenticator, { enabledAt: new Date(clock.now()).toISOString() });
    clock.advance(30_000);
    const second = await app.inject({
      method: 'POST',
      url: '/totp/verify',
      headers: acme.auth,
      payload: { userRef: 'user-7', code: totp.generate({ timestamp: clock.now() }) },
    });
    t.equal(
      decodeJwt(second.json().assertion).user_ref,
      'user-7',
      "the authenticator's assertion names the same person",
    );
  });

  t.test('a code sent without a person proves nothing for anyone, and another client sees nobody', async (t) => {
    const { app, createClient, sendCode, verifyCode, mail } = await build(t);
    const acme = await createClient();
    const globex = await createClient('Globex', ['acme.example']);
    await sendCode(acme.apiKey, { email: 'lee@acme.example', userRef: 'u-1' });
    const verified = await verifyCode(acme.apiKey, {
      email: 'lee@acme.example',
      purpose: 'login',
      code: mail.codeFor('lee@acme.example'),
    });
    t.equal(verified.statusCode, 200);
    const other = await app.inject({ method: 'GET', url: '/people/u-1', headers: globex.auth });
    t.same(other.json().addresses, [], "another client's person of the same reference is another person");

    await sendCode(acme.apiKey, { email: 'kim@acme.example' });
    const plain = await verifyCode(acme.apiKey, {
      email: 'kim@acme.example',
      purpose: 'login',
      code: mail.codeFor('kim@acme.example'),
    });
    t.notOk('user_ref' in decodeJwt(plain.json().assertion), 'no person named, no user_ref claim');
  });

  t.test('a user reference with control characters is refused as the authenticator routes refuse it', async (t) => {
    const { createClient, sendCode } = await build(t);
    const acme = await createClient();
    const refused = await sendCode(acme.apiKey, { email: 'a@acme.example', userRef: 'bad\nref' });
    t.equal(refused.statusCode, 400);
    t.equal(refused.json().code, 'invalid_request');
  });
});
