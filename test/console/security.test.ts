import { build, byCommandLine, unthrottled } from '../helpers/build.js';
import { ConsoleBrowser } from '../helpers/console.js';
import { onEachDatabase } from '../helpers/databases.js';

await onEachDatabase(async (t) => {
  const setUp = async (env: Record<string, string> = unthrottled) => {
    const built = await build(t, { env });
    const { app } = built;
    const admin = await app.mailcode.operators.create({ email: 'ada@ops.example', role: 'admin' }, byCommandLine);
    const helper = await app.mailcode.operators.create({ email: 'sam@ops.example', role: 'support' }, byCommandLine);
    return { ...built, admin, helper };
  };

  t.test('no page and no action without a signed-in session', async (t) => {
    const { app } = await setUp();
    for (const url of [
      '/console/overview',
      '/console/people?q=a@acme.example',
      '/console/clients',
      '/console/audit',
      '/console/clients/cl_x',
    ]) {
      const response = await app.inject({ url });
      t.equal(response.statusCode, 303, `GET ${url} → the sign-in`);
      t.equal(response.headers.location, '/console/sign-in');
    }
    const post = await app.inject({
      method: 'POST',
      url: '/console/people/lift',
      payload: 'client=cl_x&email=a%40acme.example&reason=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    t.equal(post.statusCode, 403);
    t.match(post.body, /Sign in first/);
  });

  t.test('a session halfway through the sign-in opens no page', async (t) => {
    const { app, mail } = await setUp();
    const browser = new ConsoleBrowser(app);
    await browser.post('/console/sign-in', { email: 'ada@ops.example' });
    await app.mailcode.worker.runOnce();
    await browser.get('/console/sign-in/code');
    t.equal((await browser.get('/console/overview')).statusCode, 303, 'after the address');
    await browser.post('/console/sign-in/code', { code: mail.codeFor('ada@ops.example') });
    t.equal((await browser.get('/console/overview')).statusCode, 303, 'after the code, before the authenticator');
  });

  t.test('the session id changes at each step; the cookie is HttpOnly, SameSite=Strict, on /console', async (t) => {
    const { app, mail, clock } = await setUp();
    const browser = new ConsoleBrowser(app);
    const first = await browser.post('/console/sign-in', { email: 'ada@ops.example' });
    const atAddress = browser.cookie;
    t.match(first.headers['set-cookie'], /HttpOnly/);
    t.match(first.headers['set-cookie'], /SameSite=Strict/);
    t.match(first.headers['set-cookie'], /Path=\/console/);
    await app.mailcode.worker.runOnce();
    const codePage = await browser.get('/console/sign-in/code');
    const csrfCookie = [codePage.headers['set-cookie']].flat().find((c) => c?.startsWith('mailcode_console_csrf='));
    t.match(csrfCookie, /HttpOnly/, "the CSRF secret's cookie too");
    t.match(csrfCookie, /SameSite=Strict/);
    t.match(csrfCookie, /Path=\/console/);
    await browser.post('/console/sign-in/code', { code: mail.codeFor('ada@ops.example') });
    const atCode = browser.cookie;
    t.not(atCode, atAddress, 'a new id after the code');
    const page = await browser.get('/console/sign-in/enrol');
    t.match(page.body, /<svg/, 'the QR code');
    const old = new ConsoleBrowser(app);
    old.cookie = atAddress;
    t.equal((await old.get('/console/sign-in/enrol')).statusCode, 303, 'the old id is worth nothing');

    const browser2 = new ConsoleBrowser(app);
    clock.advance(31_000);
    const signedIn = await browser2.signIn('sam@ops.example', mail, clock);
    t.equal(signedIn.statusCode, 200);
    t.match(signedIn.body, /recovery codes/i);
    t.equal((await browser2.get('/console/overview')).statusCode, 200, 'signed in');
  });

  t.test('Secure is decided by PUBLIC_URL, not by the Host a proxy passes', async (t) => {
    const cookiesOf = async (publicUrl: string, host: string) => {
      const { app } = await setUp({ ...unthrottled, PUBLIC_URL: publicUrl });
      const browser = new ConsoleBrowser(app, host);
      const signIn = await browser.get('/console/sign-in');
      const posted = await browser.post('/console/sign-in', { email: 'ada@ops.example' });
      const codePage = await browser.get('/console/sign-in/code');
      const all = [signIn.headers['set-cookie'], posted.headers['set-cookie'], codePage.headers['set-cookie']]
        .flat()
        .filter((c): c is string => typeof c === 'string');
      return {
        session: all.find((c) => c.startsWith('mailcode_console=')),
        csrf: all.find((c) => c.startsWith('mailcode_console_csrf=')),
      };
    };
    // nginx's plain `proxy_pass http://127.0.0.1:3000` hands mailcode Host: 127.0.0.1.
    const proxied = await cookiesOf('https://console.acme.example', '127.0.0.1');
    t.match(proxied.session, /; Secure/, 'https PUBLIC_URL, loopback Host: the session cookie is Secure');
    t.match(proxied.csrf, /; Secure/, 'and the CSRF secret cookie');
    const plainHost = await cookiesOf('http://mailcode.internal', 'mailcode.internal');
    t.match(plainHost.session, /; Secure/, 'http off loopback: still Secure (the console is https there)');
    const development = await cookiesOf('http://127.0.0.1:3000', 'console.acme.example');
    t.notMatch(development.session, /Secure/, 'http on loopback (development): not Secure, whatever the Host says');
    t.notMatch(development.csrf, /Secure/);
  });

  t.test("every form post needs the session's CSRF token", async (t) => {
    const { app, mail, clock } = await setUp();
    const { client } = await app.mailcode.clients.create(
      { name: 'Acme', allowedDomains: ['acme.example'] },
      byCommandLine,
    );
    const browser = new ConsoleBrowser(app);
    await browser.signIn('ada@ops.example', mail, clock);
    await browser.get('/console/overview');
    for (const csrf of [null, 'x'.repeat(43), browser.csrf!.slice(0, -1)]) {
      const refused = await browser.post(`/console/clients/${client.id}/settings`, { name: 'Changed' }, { csrf });
      t.equal(refused.statusCode, 403, `token ${csrf === null ? 'missing' : 'wrong'}`);
      t.match(refused.body, /CSRF/);
    }
    t.equal((await app.mailcode.clients.get(client.id)).name, 'Acme', 'nothing changed');
    const other = new ConsoleBrowser(app);
    clock.advance(31_000);
    await other.signIn('sam@ops.example', mail, clock);
    await other.get('/console/overview');
    t.equal(
      (await browser.post(`/console/clients/${client.id}/rotate-key`, {}, { csrf: other.csrf! })).statusCode,
      403,
      "another session's token",
    );
    const saved = await browser.post(`/console/clients/${client.id}/settings`, {
      name: 'Acme Renamed',
      domains: 'acme.example',
    });
    t.equal(saved.statusCode, 200);
    t.equal((await app.mailcode.clients.get(client.id)).name, 'Acme Renamed', 'with the token it saves');
  });

  t.test('support cannot reach admin pages or actions', async (t) => {
    const { app, mail, clock } = await setUp();
    const { client } = await app.mailcode.clients.create(
      { name: 'Acme', allowedDomains: ['acme.example'] },
      byCommandLine,
    );
    const browser = new ConsoleBrowser(app);
    await browser.signIn('sam@ops.example', mail, clock);
    await browser.get('/console/people');
    for (const url of [
      '/console/clients',
      '/console/clients/new',
      `/console/clients/${client.id}`,
      `/console/clients/${client.id}/preview`,
    ])
      t.equal((await browser.get(url)).statusCode, 403, `GET ${url}`);
    const rotate = await browser.post(`/console/clients/${client.id}/rotate-key`, {});
    t.equal(rotate.statusCode, 403);
    t.match(rotate.body, /Admins only/);
    t.equal((await browser.post('/console/clients', { name: 'Sneaky' })).statusCode, 403);
    t.same(
      (await app.mailcode.clients.list()).map((c) => c.name),
      ['Acme'],
      'no client made',
    );
    t.notMatch((await browser.get('/console/people')).body, /href="\/console\/clients"/, 'no Clients link for support');
  });

  t.test("an action on a person needs a reason, recorded with the operator in the client's trail", async (t) => {
    const { app, mail, clock, createClient, sendCode, helper } = await setUp();
    const acme = await createClient();
    const sent = (await sendCode(acme.apiKey, { email: 'dana@acme.example' })).json();
    const browser = new ConsoleBrowser(app);
    await browser.signIn('sam@ops.example', mail, clock);
    const lookup = await browser.get('/console/people?q=dana@acme.example');
    t.match(lookup.body, new RegExp(sent.verificationId));
    t.match(
      lookup.body,
      /<strong title="mail\.sent">Mail handed to the receiving server<\/strong>/,
      'the delivery story, in words',
    );
    for (const reason of ['', '   ']) {
      const refused = await browser.post('/console/people/cancel', {
        q: 'dana@acme.example',
        client: acme.id,
        verification: sent.verificationId,
        reason,
        form: `cancel:${sent.verificationId}`,
      });
      t.equal(refused.statusCode, 400);
      // Said at the form that was sent, tied to its reason box — not at the top of the page.
      t.match(
        refused.body,
        /<form method="post" action="\/console\/people\/cancel" class="action">(?:(?!<\/form>)[\s\S])*<p class="error" role="alert" id="error-cancel-0">A reason is needed[^<]*<\/p>(?:(?!<\/form>)[\s\S])*aria-invalid="true" aria-describedby="error-cancel-0"/,
      );
      t.notMatch(refused.body, /<h1>[^<]*<\/h1>\s*<p class="error"/, 'not at the top');
    }
    t.equal(
      (await app.inject({ url: `/verifications/${sent.verificationId}`, headers: acme.auth })).json().status,
      'pending',
      'not canceled',
    );
    const done = await browser.post('/console/people/cancel', {
      q: 'dana@acme.example',
      client: acme.id,
      verification: sent.verificationId,
      reason: 'Ticket 4711: the person asked',
    });
    t.equal(done.statusCode, 200);
    t.match(done.body, /canceled/);
    t.equal(
      (await app.inject({ url: `/verifications/${sent.verificationId}`, headers: acme.auth })).json().status,
      'canceled',
    );
    const events = (await app.inject({ url: '/events?type=verification.canceled', headers: acme.auth })).json().events;
    t.match(
      events,
      [{ actor: 'operator', actorId: helper.id, data: { reason: 'Ticket 4711: the person asked' } }],
      'GET /events: who and why',
    );
    const story = await browser.get('/console/people?q=dana@acme.example');
    t.match(
      story.body,
      /<strong title="verification\.canceled">Canceled<\/strong> by operator sam@ops\.example — “Ticket 4711: the person asked”/,
      'the history names who canceled, and why',
    );
    const audit = await browser.get(`/console/audit?operator=${helper.id}&client=*`);
    t.match(audit.body, /Ticket 4711: the person asked/, 'the audit view');
    t.match(audit.body, /title="operator\.signed_in"/, 'the sign-in too');
  });

  t.test("a disabled operator's sessions end at once", async (t) => {
    const { app, mail, clock, helper } = await setUp();
    const browser = new ConsoleBrowser(app);
    await browser.signIn('sam@ops.example', mail, clock);
    t.equal((await browser.get('/console/people')).statusCode, 200);
    await app.mailcode.operators.disable(helper.id, byCommandLine);
    t.equal((await browser.get('/console/people')).statusCode, 303, 'signed out');
    const again = new ConsoleBrowser(app);
    await again.post('/console/sign-in', { email: 'sam@ops.example' });
    await app.mailcode.worker.runOnce();
    t.equal(mail.sent.filter((m) => m.to === 'sam@ops.example').length, 1, 'no new code for a disabled operator');
  });

  t.test('sign out, and sign out everywhere', async (t) => {
    const { app, mail, clock } = await setUp();
    const one = new ConsoleBrowser(app);
    await one.signIn('ada@ops.example', mail, clock);
    clock.advance(31_000);
    const two = new ConsoleBrowser(app);
    two.totp = one.totp; // the same phone
    await two.signIn('ada@ops.example', mail, clock);
    await one.get('/console/overview');
    const out = await one.post('/console/sign-out', {});
    t.match(out.body, /You are signed out/);
    t.equal((await one.get('/console/overview')).statusCode, 303);
    t.equal((await two.get('/console/overview')).statusCode, 200, 'the other session goes on');
    await two.post('/console/sign-out', { everywhere: 'yes' });
    t.equal((await two.get('/console/overview')).statusCode, 303);
  });

  t.test('sessions end after 30 idle minutes and after 12 hours', async (t) => {
    const { app, mail, clock } = await setUp();
    const browser = new ConsoleBrowser(app);
    await browser.signIn('ada@ops.example', mail, clock);
    clock.advance(29 * 60_000);
    t.equal((await browser.get('/console/overview')).statusCode, 200);
    clock.advance(30 * 60_000 + 1);
    t.equal((await browser.get('/console/overview')).statusCode, 303, 'idle too long');
    const left = new ConsoleBrowser(app);
    left.totp = browser.totp; // the same phone
    clock.advance(31_000);
    await left.signIn('ada@ops.example', mail, clock);
    // A request every 29 minutes: never idle, until 12 hours after the sign-in.
    let fine = 0;
    for (let step = 1; step <= 24; step++) {
      clock.advance(29 * 60_000);
      if ((await left.get('/console/overview')).statusCode === 200) fine++;
    }
    t.equal(fine, 24, 'in use for 11 h 36 min');
    clock.advance(29 * 60_000);
    t.equal((await left.get('/console/overview')).statusCode, 303, 'but 12 hours are the most');
    const forgotten = new ConsoleBrowser(app);
    forgotten.totp = browser.totp;
    clock.advance(31_000);
    await forgotten.signIn('ada@ops.example', mail, clock);
    clock.advance(31 * 60_000);
    t.match(
      await app.mailcode.purge(),
      { consoleSessions: 1 },
      'the hourly purge removes a session nobody came back to',
    );
  });

  t.test('an unknown address gets the same answers as an operator; sign-in posts are limited per IP', async (t) => {
    const { app, mail } = await setUp({ ...unthrottled, CONSOLE_SIGN_INS_PER_MINUTE: '5' });
    const stranger = new ConsoleBrowser(app);
    const operator = new ConsoleBrowser(app);
    const a = await stranger.post('/console/sign-in', { email: 'nobody@ops.example' });
    const b = await operator.post('/console/sign-in', { email: 'ada@ops.example' });
    t.equal(a.statusCode, b.statusCode);
    t.equal(a.headers.location, b.headers.location);
    t.equal(stranger.cookie!.length, operator.cookie!.length, 'a cookie of the same shape');
    await app.mailcode.worker.runOnce();
    t.equal(mail.sent.filter((m) => m.to === 'nobody@ops.example').length, 0, 'no mail to a stranger');
    await stranger.get('/console/sign-in/code');
    await operator.get('/console/sign-in/code');
    const wrongA = await stranger.post('/console/sign-in/code', { code: '000000' });
    const wrongB = await operator.post('/console/sign-in/code', {
      code: mail.codeFor('ada@ops.example') === '000000' ? '111111' : '000000',
    });
    t.equal(wrongA.statusCode, wrongB.statusCode);
    t.equal(
      /<p class="error"[^>]*>([^<]*)/.exec(wrongA.body)![1],
      /<p class="error"[^>]*>([^<]*)/.exec(wrongB.body)![1],
      'the same words',
    );
    // 4 posts so far from this IP; the 6th in the minute is refused.
    await stranger.post('/console/sign-in', { email: 'x@ops.example' });
    const limited = await stranger.post('/console/sign-in', { email: 'y@ops.example' });
    t.equal(limited.statusCode, 429);
    t.ok(limited.headers['retry-after'], 'with Retry-After');
    t.match(limited.body, /Too many sign-in attempts/);
  });
});
