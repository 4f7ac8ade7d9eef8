// The console and passkeys: an admin sets a client's relying party (a bad origin refused,
// naming it); support sees a person's passkeys — a counter that went back said — removes
// one with a reason (the person is told), and the reset of the second factors takes the
// passkeys with the app. Both databases.
import { build, byCommandLine, unthrottled } from '../helpers/build.js';
import { ConsoleBrowser } from '../helpers/console.js';
import { onEachDatabase } from '../helpers/databases.js';
import { SoftAuthenticator } from '../helpers/soft-authenticator.js';

const origin = 'http://localhost:4100';

await onEachDatabase(async (t) => {
  const signedIn = async () => {
    const built = await build(t, { env: unthrottled });
    await built.app.mailcode.operators.create({ email: 'ada@ops.example', role: 'admin' }, byCommandLine);
    const browser = new ConsoleBrowser(built.app);
    await browser.signIn('ada@ops.example', built.mail, built.clock);
    const acme = await built.createClient();
    return { ...built, browser, acme };
  };

  t.test("an admin sets the client's relying party; a value that cannot work is refused, naming it", async (t) => {
    const { app, browser, acme } = await signedIn();
    t.match((await browser.get(`/console/clients/${acme.id}`)).body, /Not set up: name the relying party/);
    const refused = await browser.post(`/console/clients/${acme.id}/passkeys`, {
      rpId: 'acme.example',
      origins: 'https://portal.acme.example/login',
    });
    t.equal(refused.statusCode, 400);
    t.match(refused.body, /Origin: &quot;https:\/\/portal.acme.example\/login&quot; is not an origin/);
    t.equal(await app.mailcode.passkeySettings.get(acme.id), undefined, 'nothing saved');
    const saved = await browser.post(`/console/clients/${acme.id}/passkeys`, {
      rpId: 'Acme.Example',
      origins: 'https://portal.acme.example\nhttps://acme-portal.example',
      alone: 'yes',
    });
    t.match(saved.body, /Passkeys saved/);
    t.match(await app.mailcode.passkeySettings.get(acme.id), {
      rpId: 'acme.example',
      origins: ['https://portal.acme.example', 'https://acme-portal.example'],
      alone: true,
      required: false,
      counterStrict: false,
    });
    const [updated] = (await app.mailcode.events.search({ clientId: acme.id, types: ['client.updated'] })).events;
    t.match(updated, { actor: 'operator', data: { changed: ['passkeys'] } });
  });

  t.test("support sees a person's passkeys, removes one with a reason, and a reset takes the rest", async (t) => {
    const { app, browser, acme, sendCode, verifyCode, mail } = await signedIn();
    const client = await app.mailcode.clients.get(acme.id);
    await app.mailcode.passkeySettings.setUp(
      client,
      { rpId: 'localhost', origins: [origin], alone: true },
      byCommandLine,
    );
    await sendCode(acme.apiKey, { email: 'pat@acme.example', userRef: 'u-1' });
    await verifyCode(acme.apiKey, { email: 'pat@acme.example', code: mail.codeFor('pat@acme.example') });
    const register = async (device: SoftAuthenticator, name: string) => {
      const options = await app.mailcode.passkeys.startRegistration(client, 'u-1', {});
      return app.mailcode.passkeys.finishRegistration(
        client,
        'u-1',
        { response: device.register(options as never, origin) as never, name },
        { actor: 'portal', requestId: null },
      );
    };
    const laptop = new SoftAuthenticator();
    const phone = new SoftAuthenticator();
    const first = await register(laptop, 'Work laptop');
    await register(phone, 'Phone');
    // A sign-in whose counter went back: recorded, shown to support.
    const signIn = async () => {
      const options = await app.mailcode.passkeys.startAuthentication(client, { userRef: 'u-1' });
      return app.mailcode.passkeys.finishAuthentication(
        client,
        { response: laptop.authenticate(options as never, origin) as never },
        { actor: 'portal', requestId: null },
      );
    };
    await signIn();
    laptop.counter = 0;
    t.equal((await signIn()).counterWentBack, true);

    const person = await browser.get('/console/people?q=pat%40acme.example');
    t.match(person.body, /<h2 id="passkeys-h">Passkeys<\/h2>/);
    t.match(person.body, /<strong>Work laptop<\/strong>: on one device/);
    t.match(person.body, /its counter went backwards/);
    t.match(person.body, /<strong>Phone<\/strong>/);

    const form = {
      q: 'pat@acme.example',
      client: acme.id,
      userRef: 'u-1',
      passkey: first.id,
      form: `passkey:${first.id}`,
    };
    const noReason = await browser.post('/console/people/remove-passkey', { ...form, reason: '' });
    t.equal(noReason.statusCode, 400, 'a reason is needed');
    await app.mailcode.worker.runOnce();
    mail.sent.length = 0;
    const removed = await browser.post('/console/people/remove-passkey', {
      ...form,
      reason: 'Ticket 9: laptop stolen',
    });
    t.match(removed.body, /The passkey is removed/);
    t.same(
      (await app.mailcode.passkeys.list(client, 'u-1')).map((p) => p.name),
      ['Phone'],
    );
    await app.mailcode.worker.runOnce();
    t.equal(mail.sent.at(-1)!.subject, 'A passkey was removed from your Acme Portal account');
    t.match(String(mail.sent.at(-1)!.text), /Acme Portal support removed the passkey “Work laptop”/);
    const [event] = (await app.mailcode.events.search({ clientId: acme.id, types: ['passkey.removed'] })).events;
    t.match(event, { actor: 'operator', data: { by: 'support', reason: 'Ticket 9: laptop stolen' } });

    const reset = await browser.post('/console/people/reset-authenticator', {
      q: 'pat@acme.example',
      client: acme.id,
      userRef: 'u-1',
      reason: 'Ticket 10: lost everything',
      form: `reset:${acme.id}:u-1`,
      confirm: 'yes',
    });
    t.match(reset.body, /The second factors are removed/);
    t.same(await app.mailcode.passkeys.list(client, 'u-1'), [], 'the reset took the passkeys (no app to remove)');
  });
});
