import { build, byCommandLine } from '../../helpers/build.js';
import { openOperator } from '../../../src/main/wiring.js';
import { onEachDatabase } from '../../helpers/databases.js';

await onEachDatabase(async (t) => {
  t.test('POST /send-code queues a code mail for a company address and answers 202', async (t) => {
    const { createClient, sendCode, mail, clock } = await build(t);
    const acme = await createClient();
    const response = await sendCode(acme.apiKey, { email: '  Alice@ACME.example ', purpose: 'signup' });
    t.equal(response.statusCode, 202);
    const body = response.json();
    t.match(body, {
      verificationId: /^vf_[0-9a-z]{9}[A-Za-z0-9_-]{16}$/,
      email: 'alice@acme.example',
      purpose: 'signup',
      expiresAt: new Date(clock.now() + 600_000).toISOString(),
      resendAfter: new Date(clock.now() + 30_000).toISOString(),
      maxAttempts: 5,
    });
    t.equal(mail.sent.length, 1, 'one mail was delivered');
    t.equal(mail.sent[0]!.to, 'alice@acme.example');
    t.match(String(mail.sent[0]!.subject), /^\d{6} is your Acme Portal code$/);
    t.match(String(mail.sent[0]!.text), /expires in 10 minutes/);
    t.match(String(mail.sent[0]!.text), /If you did not ask for this code, ignore this mail/);
    t.match(String(mail.sent[0]!.html), /Acme Portal/);
  });

  t.test('purpose defaults to login', async (t) => {
    const { createClient, sendCode } = await build(t);
    const acme = await createClient();
    const response = await sendCode(acme.apiKey, { email: 'bob@acme.example' });
    t.equal(response.json().purpose, 'login');
  });

  t.test('an allowlisted domain admits its subdomains and nothing else', async (t) => {
    const { createClient, sendCode } = await build(t);
    const acme = await createClient('Acme Portal', ['acme.example']);
    t.equal((await sendCode(acme.apiKey, { email: 'a@eu.acme.example' })).statusCode, 202);
    for (const email of ['a@notacme.example', 'a@acme.example.evil.test', 'a@example', 'a@gmail.com']) {
      const response = await sendCode(acme.apiKey, { email });
      t.equal(response.statusCode, response.json().code === 'invalid_request' ? 400 : 422, email);
      if (response.statusCode === 422) t.equal(response.json().code, 'domain_not_allowed', email);
    }
  });

  t.test('without an allowlist, consumer and disposable providers are refused', async (t) => {
    const { createClient, sendCode } = await build(t);
    const open = await createClient('Open Portal', []);
    for (const email of [
      'someone@gmail.com',
      'someone@outlook.com',
      'someone@mailinator.com',
      'x@sub.mailinator.com',
    ]) {
      const response = await sendCode(open.apiKey, { email });
      t.equal(response.statusCode, 422, email);
      t.equal(response.json().code, 'domain_not_allowed', email);
      t.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8');
    }
    t.equal((await sendCode(open.apiKey, { email: 'someone@initech.example' })).statusCode, 202);
  });

  t.test('an IDN domain is matched in punycode, and a homoglyph of an allowed domain is refused', async (t) => {
    const { createClient, sendCode } = await build(t);
    const muenchen = await createClient('München Portal', ['xn--mnchen-3ya.example']);
    const ok = await sendCode(muenchen.apiKey, { email: 'Anna@MÜNCHEN.example' });
    t.equal(ok.statusCode, 202);
    t.equal(ok.json().email, 'anna@xn--mnchen-3ya.example');
    const acme = await createClient('Acme Portal', ['acme.example']);
    const cyrillicA = await sendCode(acme.apiKey, { email: 'a@\u0430cme.example' });
    t.equal(cyrillicA.statusCode, 422);
  });

  t.test('bad input is a 400 problem, never a 500', async (t) => {
    const { createClient, app } = await build(t);
    const acme = await createClient();
    const cases: [string, unknown][] = [
      ['CR/LF in the address', { email: 'a@acme.example\r\nBcc: victim@acme.example' }],
      ['LF alone', { email: 'a\n@acme.example' }],
      ['NUL', { email: 'a\u0000@acme.example' }],
      ['display name', { email: 'Alice <alice@acme.example>' }],
      ['comment', { email: 'alice(comment)@acme.example' }],
      ['quoted local part', { email: '"alice"@acme.example' }],
      ['two addresses', { email: 'a@acme.example,b@acme.example' }],
      ['no domain', { email: 'alice@' }],
      ['no at sign', { email: 'alice.acme.example' }],
      [
        'over-long address',
        { email: `${'a'.repeat(64)}@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.acme.example` },
      ],
      ['over-long local part', { email: `${'a'.repeat(65)}@acme.example` }],
      ['oversize field', { email: `${'a'.repeat(5000)}@acme.example` }],
      ['email is a number', { email: 12345 }],
      ['email is an array', { email: ['a@acme.example'] }],
      ['email missing', { purpose: 'login' }],
      ['unknown purpose', { email: 'a@acme.example', purpose: 'reset' }],
      ['unknown member', { email: 'a@acme.example', admin: true }],
      ['bad locale', { email: 'a@acme.example', locale: 'en\r\nX: y' }],
      ['bad end-user IP', { email: 'a@acme.example', endUserIp: 'not-an-ip' }],
      ['body is an array', [{ email: 'a@acme.example' }]],
    ];
    for (const [name, payload] of cases) {
      const response = await app.inject({
        method: 'POST',
        url: '/send-code',
        headers: acme.auth,
        payload: payload as object,
      });
      t.equal(response.statusCode, 400, name);
      t.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8', name);
      t.match(
        response.json(),
        { type: String, title: String, status: 400, detail: String, code: 'invalid_request' },
        name,
      );
    }
    const jsonString = await app.inject({
      method: 'POST',
      url: '/send-code',
      headers: { ...acme.auth, 'content-type': 'application/json' },
      payload: '"a@acme.example"',
    });
    t.equal(jsonString.statusCode, 400, 'body is a JSON string');
    const malformed = await app.inject({
      method: 'POST',
      url: '/send-code',
      headers: { ...acme.auth, 'content-type': 'application/json' },
      payload: '{"email":',
    });
    t.equal(malformed.statusCode, 400, 'malformed JSON');
    t.equal(malformed.json().code, 'invalid_request');
    const huge = await app.inject({
      method: 'POST',
      url: '/send-code',
      headers: { ...acme.auth, 'content-type': 'application/json' },
      payload: JSON.stringify({ email: 'a@acme.example', pad: 'x'.repeat(20_000) }),
    });
    t.equal(huge.statusCode, 413, 'a body over 16 KiB');
    t.equal(huge.json().code, 'invalid_request');
    const form = await app.inject({
      method: 'POST',
      url: '/send-code',
      headers: { ...acme.auth, 'content-type': 'text/plain' },
      payload: 'email=a@acme.example',
    });
    t.equal(form.statusCode, 415, 'not JSON');
    t.equal(form.json().code, 'invalid_request');
  });

  t.test('missing, malformed, unknown and revoked API keys get 401', async (t) => {
    const { createClient, app } = await build(t);
    const acme = await createClient();
    const payload = { email: 'a@acme.example' };
    for (const authorization of [
      undefined,
      'Basic abc',
      'Bearer ',
      `Bearer ${acme.apiKey}x`,
      'Bearer mc_unknownkeyunknownkeyunknownkey',
    ]) {
      const response = await app.inject({
        method: 'POST',
        url: '/send-code',
        headers: authorization ? { authorization } : {},
        payload,
      });
      t.equal(response.statusCode, 401, String(authorization));
      t.equal(response.json().code, 'unauthorized');
    }
    t.equal(
      (await app.inject({ method: 'POST', url: '/send-code', headers: acme.auth, payload })).statusCode,
      202,
      'the key works before',
    );
    await app.mailcode.clients.revoke(acme.id, byCommandLine);
    const revoked = await app.inject({ method: 'POST', url: '/send-code', headers: acme.auth, payload });
    t.equal(revoked.statusCode, 401, 'revocation takes effect at once');
  });

  t.test('a revocation or a new domain list made by another process holds from the next request', async (t) => {
    const { createClient, app, config } = await build(t);
    const acme = await createClient();
    const send = (email: string) =>
      app.inject({ method: 'POST', url: '/send-code', headers: acme.auth, payload: { email } });
    t.equal((await send('a@acme.example')).statusCode, 202, 'the client has been looked up (and may be remembered)');
    // A second connection to the same database, as the CLI opens it.
    const cli = await openOperator(config);
    t.teardown(() => cli.close());
    await cli.clients.update(acme.id, { allowedDomains: ['acme-group.example'] }, byCommandLine);
    t.equal((await send('b@acme.example')).statusCode, 422, 'the old domain is refused at once');
    t.equal((await send('b@acme-group.example')).statusCode, 202, 'the new one is allowed');
    await cli.clients.revoke(acme.id, byCommandLine);
    t.equal((await send('c@acme-group.example')).statusCode, 401, 'the revoked key is refused at once');
  });
});
