import { build, byCommandLine, byPortal, unthrottled } from '../helpers/build.js';
import { ConsoleBrowser } from '../helpers/console.js';
import { onEachDatabase } from '../helpers/databases.js';

await onEachDatabase(async (t) => {
  const signedIn = async (email = 'ada@ops.example', role: 'admin' | 'support' = 'admin') => {
    const built = await build(t, { env: unthrottled });
    await built.app.mailcode.operators.create({ email, role }, byCommandLine);
    const browser = new ConsoleBrowser(built.app);
    await browser.signIn(email, built.mail, built.clock);
    return { ...built, browser };
  };

  t.test(
    'client settings: saved with the trail naming what changed; a bad value refused, naming it, nothing saved',
    async (t) => {
      const { app, browser } = await signedIn();
      const created = await browser.post('/console/clients', { name: 'Globex', domains: 'globex.example' });
      const id = /<code>(cl_[A-Za-z0-9_-]+)<\/code>/.exec(created.body)![1]!;
      t.match(created.body, /id="api-key">[A-Za-z0-9_-]{16,}</, 'the key, once');
      t.notMatch((await browser.get(`/console/clients/${id}`)).body, /id="api-key"/, 'and not again');
      const form = {
        name: 'Globex',
        domains: 'globex.example',
        mailFrom: '',
        support: '',
        logoUrl: '',
        accentColor: '',
        defaultLocale: 'en',
        continueUrl: '',
        secondFactor: 'optional',
        codeInSubject: 'yes',
      };
      const refused = await browser.post(`/console/clients/${id}/settings`, {
        ...form,
        accentColor: 'red;background:url(//evil)',
      });
      t.equal(refused.statusCode, 400);
      t.match(refused.body, /Accent colour: expected a colour like #1f6feb/);
      const saved = await browser.post(`/console/clients/${id}/settings`, {
        ...form,
        accentColor: '#0A7D4F',
        domains: 'globex.example, Globex-Support.example',
      });
      t.match(saved.body, /Saved/);
      t.match(await app.mailcode.clients.get(id), {
        accentColor: '#0a7d4f',
        allowedDomains: ['globex.example', 'globex-support.example'],
      });
      const [updated] = (await app.mailcode.events.search({ clientId: id, types: ['client.updated'] })).events;
      t.same(updated!.data.changed, ['accentColor', 'allowedDomains'], 'only what changed');
      t.match(updated, { actor: 'operator', actorId: /^op_/ });
      t.match(
        (
          await browser.post(`/console/clients/${id}/settings`, {
            ...form,
            accentColor: '#0a7d4f',
            domains: 'globex.example, globex-support.example',
          })
        ).body,
        /Nothing changed/,
      );
      const page = (await browser.get(`/console/clients/${id}`)).body;
      t.match(
        page,
        /id="recoveryWaitHours" name="recoveryWaitHours" type="number" min="0" max="720" step="1" value="24"/,
      );
      t.match(page, /name="notice_recovery_started" value="yes" checked/, 'every notice on by default');
      const quieter = await browser.post(`/console/clients/${id}/settings`, {
        ...form,
        accentColor: '#0a7d4f',
        domains: 'globex.example, globex-support.example',
        recoveryWaitHours: '48',
        notices: 'shown',
        notice_authenticator_added: 'yes',
        notice_authenticator_removed: 'yes',
        notice_recovery_codes_renewed: 'yes',
        notice_recovery_started: 'yes',
        notice_recovery_completed: 'yes',
        notice_recovery_canceled: 'yes',
      });
      t.match(quieter.body, /Saved/);
      t.match(await app.mailcode.clients.get(id), { recoveryWaitHours: 48, noticesOff: ['recovery_code_used'] });
      const tooLong = await browser.post(`/console/clients/${id}/settings`, { ...form, recoveryWaitHours: '721' });
      t.equal(tooLong.statusCode, 400);
      t.match(tooLong.body, /Recovery wait: expected whole hours from 0 to 720\./);
    },
  );

  t.test(
    "a webhook added and tested in the console: the secret once, each step in the client's trail with the admin as actor",
    async (t) => {
      const { app, browser, createClient } = await signedIn();
      const acme = await createClient();
      const added = await browser.post(`/console/clients/${acme.id}/webhooks`, {
        url: 'http://127.0.0.1:9/hooks?token=abc',
      });
      t.match(added.body, /id="webhook-secret">whsec_/);
      const endpoint = (await app.mailcode.webhooks.list(acme.id))[0]!;
      const tested = await browser.post(`/console/clients/${acme.id}/webhooks/test`, { endpoint: endpoint.id });
      t.match(tested.body, /Test event ev_\S+ queued/);
      const other = await createClient('Globex', ['globex.example']);
      const foreign = await browser.post(`/console/clients/${other.id}/webhooks/test`, { endpoint: endpoint.id });
      t.equal(foreign.statusCode, 400, "another client's endpoint is not found under this one");
      const events = (
        await app.inject({ url: '/events?type=webhook.created,webhook.test_sent', headers: acme.auth })
      ).json().events;
      t.match(events, [
        { type: 'webhook.test_sent', subject: endpoint.id, actor: 'operator', actorId: /^op_/ },
        { type: 'webhook.created', subject: endpoint.id, actor: 'operator', data: { url: 'http://127.0.0.1:9/hooks' } },
      ]);
      t.notMatch(JSON.stringify(events), /token=abc|whsec_/, 'never the secret or the query');
    },
  );

  t.test(
    'the mail preview: every locale, unsaved branding checked like a save, the mail in a sandboxed frame',
    async (t) => {
      const { app, browser } = await signedIn();
      const { client } = await app.mailcode.clients.create(
        { name: 'Globex', allowedDomains: ['globex.example'] },
        byCommandLine,
      );
      const preview = await browser.get(`/console/clients/${client.id}/preview?locale=de`);
      t.equal(preview.statusCode, 200);
      t.equal((preview.body.match(/<iframe /g) ?? []).length, 2, 'phone and desktop');
      t.equal((preview.body.match(/hreflang|preview\?[^"]*locale=/g) ?? []).length, 10, 'a link per locale');
      const mail = await browser.get(`/console/clients/${client.id}/mail?locale=de`);
      t.match(mail.headers['content-security-policy'], /sandbox/);
      t.match(mail.headers['content-security-policy'], /frame-ancestors 'self'/);
      t.equal(mail.headers['x-frame-options'], 'SAMEORIGIN');
      t.match(mail.body, /Globex/);
      t.match(mail.body, /<html[^>]*lang="de"/);
      const tried = await browser.post(`/console/clients/${client.id}/preview`, {
        name: 'Globex Licensing',
        accentColor: '#aa0000',
        locale: 'fr',
      });
      t.match(tried.body, /not yet saved/);
      const frame = /<iframe[^>]*src="([^"]+)"/.exec(tried.body)![1]!.replaceAll('&amp;', '&');
      const branded = await browser.get(frame);
      t.match(branded.body, /Globex Licensing/);
      t.match(branded.body, /#aa0000/i);
      t.equal((await app.mailcode.clients.get(client.id)).name, 'Globex', 'nothing saved');
      const bad = await browser.post(`/console/clients/${client.id}/preview`, {
        accentColor: 'red"><script>alert(1)</script>',
      });
      t.match(bad.body, /Not previewed: accent colour/);
      t.notMatch(bad.body, /<script>alert/);
    },
  );

  t.test(
    'operators: an admin adds one and disables one (their session ends); not oneself; support cannot',
    async (t) => {
      const { app, browser, mail, clock } = await signedIn();
      const added = await browser.post('/console/operators', { email: 'Sam@Ops.Example', role: 'support' });
      t.match(added.body, /sam@ops\.example can sign in now, as support/);
      const sam = (await app.mailcode.operators.list()).find((o) => o.email === 'sam@ops.example')!;
      const samBrowser = new ConsoleBrowser(app);
      clock.advance(31_000);
      await samBrowser.signIn('sam@ops.example', mail, clock);
      t.equal((await samBrowser.get('/console/operators')).statusCode, 403, 'support cannot');
      const ada = (await app.mailcode.operators.list()).find((o) => o.email === 'ada@ops.example')!;
      t.match((await browser.post('/console/operators/disable', { operator: ada.id })).body, /cannot disable yourself/);
      t.match((await browser.post('/console/operators/disable', { operator: sam.id })).body, /Disabled/);
      t.equal((await samBrowser.get('/console/people')).statusCode, 303, "sam's session ended");
      t.match(
        (await browser.post('/console/operators', { email: 'sam@ops.example', role: 'admin' })).body,
        /exists already/,
      );
      t.match(
        (await browser.post('/console/operators', { email: 'x@ops.example', role: 'owner' })).body,
        /role must be one of admin, support/i,
      );
      const trail = (
        await app.mailcode.events.search({ actorId: ada.id, types: ['operator.created', 'operator.disabled'] })
      ).events;
      t.same(
        trail.map((e) => e.type),
        ['operator.disabled', 'operator.created'],
        'each recorded with the admin as actor',
      );
    },
  );

  t.test('the overview counts the last 24 hours from the trail; the audit view filters', async (t) => {
    const { browser, createClient, sendCode, verifyCode, mail } = await signedIn();
    const acme = await createClient();
    await sendCode(acme.apiKey, { email: 'pat@acme.example' });
    t.equal(
      (await verifyCode(acme.apiKey, { email: 'pat@acme.example', code: mail.codeFor('pat@acme.example') })).statusCode,
      200,
    );
    await sendCode(acme.apiKey, { email: 'lee@acme.example' });
    const overview = await browser.get('/console/overview');
    t.match(
      overview.body,
      /<span class="figure">3<\/span> codes sent/,
      "two codes, and the operator's own sign-in code",
    );
    t.match(overview.body, /<span class="figure">2<\/span> codes verified/);
    t.match(overview.body, /<svg[^>]*role="img"[^>]*aria-label="Codes sent, per hour, last 24 hours"/);
    t.match(overview.body, /100\.0 %<\/span> mail delivered/);
    const byClient = await browser.get(`/console/audit?client=${acme.id}&type=verification.verified`);
    t.equal((byClient.body.match(/<tr><td data-label="When"><time/g) ?? []).length, 1);
    const byPerson = await browser.get('/console/audit?person=lee@acme.example');
    t.match(byPerson.body, /l\*\*\*@acme\.example/);
    t.notMatch(byPerson.body, /p\*\*\*@acme\.example/);
    const own = await browser.get('/console/audit?client=~mailcode');
    t.match(own.body, /<span title="operator\.signed_in">Operator signed in<\/span>/);
    t.notMatch(own.body, /<td data-label="Client">(?!mailcode itself<)/, "only mailcode's own trail");
    const byDefault = await browser.get('/console/audit');
    t.notMatch(
      byDefault.body,
      /<span title="operator\./,
      "by default, the clients' events: not the operators' own sign-ins",
    );
    t.match(
      byDefault.body,
      /<a href="\/console\/audit\?client=~mailcode">mailcode itself<\/a>/,
      'they are a click away',
    );
    t.match(byDefault.body, /<td data-label="Client">Acme Portal<\/td>/, 'the client by its name');
    t.match(byDefault.body, /<span title="verification\.verified">Verified<\/span>/, 'what happened, in words');
    t.notMatch(byDefault.body, /\d{13}/, 'no time in epoch milliseconds');
    t.match(byDefault.body, /<dt>expires at<\/dt><dd>2 Mar 2026, 09:\d\d:\d\d UTC<\/dd>/, 'a time as a date');
    const everything = await browser.get('/console/audit?client=*');
    t.match(everything.body, /<span title="operator\.signed_in">/);
    t.match(everything.body, /<span title="verification\.verified">/);
    const bad = await browser.get('/console/audit?type=nonsense&cursor=%27%3B');
    t.equal(bad.statusCode, 200, 'unknown filters are ignored, not an error');
  });

  t.test('support finds a person by address or by user reference and sees the same person, linked', async (t) => {
    const { browser, createClient, sendCode, verifyCode, mail } = await signedIn();
    const acme = await createClient();
    await sendCode(acme.apiKey, { email: 'pat@acme.example', userRef: 'u-9' });
    await verifyCode(acme.apiKey, {
      email: 'pat@acme.example',
      purpose: 'login',
      code: mail.codeFor('pat@acme.example'),
    });
    const byAddress = await browser.get('/console/people?q=pat@acme.example');
    const byRef = await browser.get('/console/people?q=u-9');
    for (const page of [byAddress, byRef]) {
      t.match(
        page.body,
        /Acme Portal<\/strong>: user <a href="\/console\/people\?q=u-9"><code>u-9<\/code><\/a> proved/,
      );
      t.match(page.body, /<a href="\/console\/people\?q=pat%40acme\.example">pat@acme\.example<\/a> \(login,/);
      t.match(
        page.body,
        /Acme Portal · login · <span class="status status-verified">/,
        "and the person's verification",
      );
    }
  });

  t.test('a person by user reference: their authenticators across clients', async (t) => {
    const { app, browser } = await signedIn('sam@ops.example', 'support');
    const acme = await app.mailcode.clients.get(
      (await app.mailcode.clients.create({ name: 'Acme', allowedDomains: ['acme.example'] }, byCommandLine)).client.id,
    );
    const enrolment = await app.mailcode.totp.enroll(acme, { userRef: 'u-42', accountName: 'pat@acme.example' });
    const OTPAuth = await import('otpauth');
    const phone = OTPAuth.URI.parse(enrolment.otpauthUri) as InstanceType<typeof OTPAuth.TOTP>;
    await app.mailcode.totp.confirm(
      acme,
      enrolment.enrollmentId,
      phone.generate({ timestamp: app.mailcode.config ? Date.parse('2026-03-02T09:00:00.000Z') : 0 }),
      byPortal,
    );
    const refused = await browser.get(`/console/people?q=dana@gmail.com&client=${acme.id}`);
    t.match(
      refused.body,
      /This client mails no code to dana@gmail\.com: gmail\.com is not one of this client&#39;s company domains/,
    );
    t.match(refused.body, new RegExp(`<option value="${acme.id}" selected>`), 'the client chosen stays chosen');
    const found = await browser.get('/console/people?q=u-42');
    t.match(found.body, /user <code>u-42<\/code> \(pat@acme\.example\)/);
    t.match(found.body, /10 recovery codes left/);
    const codes = await browser.post('/console/people/recovery-codes', {
      q: 'u-42',
      client: acme.id,
      userRef: 'u-42',
      reason: 'Ticket 9: codes lost',
    });
    t.equal(
      (codes.body.match(/<li><code>[a-z0-9]{5}-[a-z0-9]{5}<\/code><\/li>/g) ?? []).length,
      10,
      'new codes, shown once',
    );
  });
  t.test('a suppressed address: support reads the send\'s own answer, not "can be sent now"', async (t) => {
    const { app, browser, mail } = await signedIn('sam@ops.example', 'support');
    const { client, apiKey } = await app.mailcode.clients.create(
      { name: 'Acme', allowedDomains: ['acme.example'] },
      byCommandLine,
    );
    const auth = { authorization: `Bearer ${apiKey}` };
    mail.failWith = Object.assign(new Error('Recipient refused'), {
      responseCode: 550,
      response: '550 5.1.1 <bea@acme.example>: Recipient address rejected: User unknown',
      command: 'RCPT TO',
    });
    await app.inject({ method: 'POST', url: '/send-code', headers: auth, payload: { email: 'bea@acme.example' } });
    await app.mailcode.worker.runOnce();
    mail.failWith = undefined;
    const told = await app.inject({
      method: 'POST',
      url: '/send-code',
      headers: auth,
      payload: { email: 'bea@acme.example', purpose: 'signup' },
    });
    t.equal(told.json().code, 'address_undeliverable', 'the portal is refused');
    const page = await browser.get(`/console/people?q=bea@acme.example&client=${client.id}`);
    t.notMatch(page.body, /can be sent now/, 'never "can be sent now" for an address a send refuses');
    t.match(
      page.body,
      /A code to bea@acme\.example is refused now: mail to it bounced \(550 5\.1\.1 &lt;b\*\*\*@acme\.example&gt;: Recipient address rejected: User unknown\), and the address is suppressed until .+ UTC/,
    );
    t.match(page.body, /422 \(address_undeliverable\)/);
    t.match(
      page.body,
      /The person did not get this code: mail bounced \(the mail server said: “550 5\.1\.1/,
      'a bounced mail is not read as a plain "pending"',
    );
  });
  t.test(
    'rotating a key, revoking a client and resetting an authenticator each say what will happen and ask again',
    async (t) => {
      const { app, browser, clock } = await signedIn();
      const { client, apiKey } = await app.mailcode.clients.create(
        { name: 'Acme', allowedDomains: ['acme.example'] },
        byCommandLine,
      );
      const keyWorks = async (key: string) =>
        (await app.inject({ method: 'GET', url: '/events', headers: { authorization: `Bearer ${key}` } }))
          .statusCode === 200;

      const asked = await browser.post(`/console/clients/${client.id}/rotate-key`, {});
      t.equal(asked.statusCode, 200);
      t.match(asked.body, /<h1>Rotate the API key of Acme\?<\/h1>/);
      t.match(asked.body, /stops working at once/);
      t.match(
        asked.body,
        new RegExp(`<a href="/console/clients/${client.id}" class="button secondary">No, go back</a>`),
      );
      t.ok(await keyWorks(apiKey), 'one click: the key still works');
      const rotated = await browser.post(`/console/clients/${client.id}/rotate-key`, { confirm: 'yes' });
      t.match(rotated.body, /A new API key/);
      t.notOk(await keyWorks(apiKey), 'asked again and said yes: rotated');
      const newKey = /<code id="api-key">([^<]+)<\/code>/.exec(rotated.body)![1]!;

      t.match(
        (await browser.post(`/console/clients/${client.id}/revoke`, {})).body,
        /<h1>Revoke Acme\?<\/h1>[\s\S]*cannot be undone/,
      );
      t.ok(await keyWorks(newKey), 'one click: not revoked');
      t.match((await browser.post(`/console/clients/${client.id}/revoke`, { confirm: 'yes' })).body, /Revoked/);
      t.notOk(await keyWorks(newKey), 'revoked');

      const acme = await app.mailcode.clients.get(
        (await app.mailcode.clients.create({ name: 'Acme Two', allowedDomains: ['acme.example'] }, byCommandLine))
          .client.id,
      );
      const enrolment = await app.mailcode.totp.enroll(acme, { userRef: 'u-7', accountName: 'pat@acme.example' });
      const OTPAuth = await import('otpauth');
      const phone = OTPAuth.URI.parse(enrolment.otpauthUri) as InstanceType<typeof OTPAuth.TOTP>;
      await app.mailcode.totp.confirm(
        acme,
        enrolment.enrollmentId,
        phone.generate({ timestamp: clock.now() }),
        byPortal,
      );
      const found = await browser.get('/console/people?q=u-7');
      t.match(
        found.body,
        /Look this person up by <a href="\/console\/people\?q=pat%40acme\.example">pat@acme\.example<\/a>/,
        'a user reference lookup points on to the address',
      );
      const form = { q: 'u-7', client: acme.id, userRef: 'u-7', form: `reset:${acme.id}:u-7` };
      const noReason = await browser.post('/console/people/reset-authenticator', { ...form, reason: '' });
      t.equal(noReason.statusCode, 400, 'the reason is checked first, at its form');
      t.match(noReason.body, /role="alert" id="error-reset-0">A reason is needed/);
      const ask = await browser.post('/console/people/reset-authenticator', {
        ...form,
        reason: 'Ticket 77: lost phone',
      });
      t.match(ask.body, /<h1>Reset the second factors of u-7 at Acme Two\?<\/h1>/);
      t.match(
        ask.body,
        /<input type="hidden" name="reason" value="Ticket 77: lost phone">/,
        'the reason carried to the second step',
      );
      t.equal((await app.mailcode.totp.status(acme, 'u-7')).enabled, true, 'one click: not reset');
      const done = await browser.post('/console/people/reset-authenticator', {
        ...form,
        reason: 'Ticket 77: lost phone',
        confirm: 'yes',
      });
      t.match(
        done.body,
        /second factors are removed: the authenticator app with its recovery codes, and every passkey/,
      );
      t.equal((await app.mailcode.totp.status(acme, 'u-7')).enabled, false, 'reset');
    },
  );
  t.test('support sees a recovery by email and what the person was told; approves one, cancels another', async (t) => {
    const { app, browser, clock, mail, sendCode, verifyCode } = await signedIn();
    const { client, apiKey } = await app.mailcode.clients.create(
      { name: 'Acme', allowedDomains: ['acme.example'] },
      byCommandLine,
    );
    const auth = { authorization: `Bearer ${apiKey}` };
    await sendCode(apiKey, { email: 'pat@acme.example', userRef: 'u-9' });
    await verifyCode(apiKey, { email: 'pat@acme.example', code: mail.codeFor('pat@acme.example') });
    const acme = await app.mailcode.clients.get(client.id);
    const enrolment = await app.mailcode.totp.enroll(acme, { userRef: 'u-9', accountName: 'pat@acme.example' });
    const OTPAuth = await import('otpauth');
    const phone = OTPAuth.URI.parse(enrolment.otpauthUri) as InstanceType<typeof OTPAuth.TOTP>;
    await app.mailcode.totp.confirm(acme, enrolment.enrollmentId, phone.generate({ timestamp: clock.now() }), byPortal);
    const recover = async () => {
      const started = await app.inject({ method: 'POST', url: '/people/u-9/recoveries', headers: auth, payload: {} });
      await app.mailcode.worker.runOnce();
      // The newest code mail (notices go out beside it, in either order).
      const withCode = mail.sent.filter((m) => m.to === 'pat@acme.example' && /^\s+\d{6}$/m.test(String(m.text)));
      const code = /^\s+(\d{6})$/m.exec(String(withCode.at(-1)!.text))![1];
      await app.inject({
        method: 'POST',
        url: `/people/u-9/recoveries/${started.json().id}/confirm`,
        headers: auth,
        payload: { code },
      });
      await app.mailcode.worker.runOnce();
      return started.json().id as string;
    };

    const first = await recover();
    const page = await browser.get('/console/people?q=pat@acme.example');
    t.match(page.body, /<h2 id="recoveries-h">Recovery by email<\/h2>/);
    t.match(page.body, /waiting: the app will be removed/);
    t.match(page.body, /<h2 id="notices-h">What the person was told<\/h2>/);
    t.match(page.body, /Notice mailed to the person<\/strong>: a recovery by email started/);
    t.match(page.body, /Mail handed to the receiving server/, "with each notice's mail");
    const form = {
      q: 'pat@acme.example',
      client: client.id,
      userRef: 'u-9',
      recovery: first,
      form: `approve:${first}`,
    };
    const ask = await browser.post('/console/people/recovery-approve', {
      ...form,
      reason: 'Ticket 12: called, ID checked',
    });
    t.match(ask.body, /<h1>Approve the recovery of u-9 at Acme now\?<\/h1>/);
    t.equal((await app.mailcode.totp.status(acme, 'u-9')).enabled, true, 'one click: not approved');
    const done = await browser.post('/console/people/recovery-approve', {
      ...form,
      reason: 'Ticket 12: called, ID checked',
      confirm: 'yes',
    });
    t.match(done.body, /The recovery is approved/);
    t.equal((await app.mailcode.totp.status(acme, 'u-9')).enabled, false, 'the app is gone');
    t.match(done.body, /completed: the app was removed/);
    t.match(done.body, /“Ticket 12: called, ID checked”/, 'with the reason');

    const again = await app.mailcode.totp.enroll(acme, { userRef: 'u-9', accountName: 'pat@acme.example' });
    const phone2 = OTPAuth.URI.parse(again.otpauthUri) as InstanceType<typeof OTPAuth.TOTP>;
    clock.advance(120_000);
    await app.mailcode.totp.confirm(acme, again.enrollmentId, phone2.generate({ timestamp: clock.now() }), byPortal);
    const second = await recover();
    const noReason = await browser.post('/console/people/recovery-cancel', {
      q: 'u-9',
      client: client.id,
      userRef: 'u-9',
      recovery: second,
      form: `cancel-recovery:${second}`,
      reason: '',
    });
    t.equal(noReason.statusCode, 400, 'a cancel needs a reason');
    const canceled = await browser.post('/console/people/recovery-cancel', {
      q: 'u-9',
      client: client.id,
      userRef: 'u-9',
      recovery: second,
      form: `cancel-recovery:${second}`,
      reason: 'Ticket 13: the person did not ask for it',
    });
    t.match(canceled.body, /The recovery is canceled/);
    t.equal((await app.mailcode.totp.status(acme, 'u-9')).enabled, true, 'the app stays');
  });
});
