import { build } from './helpers/build.js';
import { databaseText, selectRows } from './helpers/databases.js';
import { onEachDatabase } from './helpers/databases.js';

await onEachDatabase(async (t) => {
  /** The code as a standalone token, not as six digits inside some random base64 run. */
  const standalone = (code: string) => new RegExp(`(?<![A-Za-z0-9_-])${code}(?![A-Za-z0-9_-])`);

  t.test('the code never appears in a response, a log line or the database; the API key is never logged', async (t) => {
    const { app, config, createClient, mail, logs, dir, clock } = await build(t, { env: { LOG_LEVEL: 'trace' } });
    const acme = await createClient();
    const responses: string[] = [];
    const send = await app.inject({
      method: 'POST',
      url: '/send-code',
      headers: acme.auth,
      payload: { email: 'alice@acme.example' },
    });
    responses.push(send.body);
    const { verificationId } = send.json();

    // Before delivery the code exists only inside the encrypted outbox payload.
    const queuedPayload = (await app.mailcode.store.outbox.claimDue(clock.now(), 0, 10))[0]?.payload ?? '';
    t.ok(queuedPayload.startsWith('v1.'), 'the queued payload is sealed');
    await app.mailcode.worker.runOnce();
    const code = mail.codeFor('alice@acme.example');
    t.notMatch(queuedPayload, standalone(code), 'the sealed payload does not show the code');

    responses.push(
      (await app.inject({ method: 'GET', url: `/verifications/${verificationId}`, headers: acme.auth })).body,
    );
    const wrong = code === '999999' ? '999998' : '999999';
    responses.push(
      (
        await app.inject({
          method: 'POST',
          url: '/verify-code',
          headers: acme.auth,
          payload: { verificationId, code: wrong },
        })
      ).body,
    );
    responses.push(
      (await app.inject({ method: 'POST', url: '/verify-code', headers: acme.auth, payload: { verificationId, code } }))
        .body,
    );
    responses.push(
      (await app.inject({ method: 'POST', url: '/verify-code', headers: acme.auth, payload: { verificationId, code } }))
        .body,
    );

    for (const body of responses) t.notMatch(body, standalone(code), 'no response carries the code');
    t.ok(logs.lines.length > 10, 'trace logging wrote lines');
    t.notMatch(logs.text, standalone(code), 'no log line carries the code');
    t.notOk(logs.text.includes(acme.apiKey), 'no log line carries the API key');
    t.notOk(logs.text.includes('test-secret-0123456789abcdef'), 'no log line carries CODE_SECRET');
    t.match(logs.text, /a\*\*\*@acme\.example/, 'addresses are masked in logs');
    t.notOk(logs.text.includes('alice@acme.example'), 'the full address is not logged');
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    const stored = await databaseText(config.DATABASE_URL, dir);
    await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    process.off('warning', onWarning);
    t.same(warnings, [], 'reading the database gave no deprecation warning (pg 9 makes queued queries an error)');
    t.match(stored, /alice@acme\.example/, 'the dump does hold the rows (a dump of nothing proves nothing)');
    t.notMatch(stored, standalone(code), 'the database never holds the code');
    t.notOk(stored.includes(acme.apiKey), 'the database holds only a hash of the API key');
  });

  t.test(
    "a client's DKIM private key is sealed at rest and never in a log, an event, a listing or an answer",
    async (t) => {
      const { app, config, createClient, sendCode, mail, logs, dir } = await build(t, { env: { LOG_LEVEL: 'trace' } });
      const acme = await createClient();
      await app.mailcode.clients.update(
        acme.id,
        { mailFrom: 'Acme <no-reply@acme.example>' },
        { actor: 'cli', requestId: null },
      );
      await app.mailcode.dkim.create(acme.id, { selector: 'mc1' }, { actor: 'cli', requestId: null });
      await sendCode(acme.apiKey, { email: 'ann@acme.example' });
      const signer = mail.sent.at(-1)?.dkim as { privateKey: string } | undefined;
      t.match(
        signer?.privateKey,
        /^-----BEGIN PRIVATE KEY-----/,
        'the mail was signed with the key (a check over no key proves nothing)',
      );
      // The key's body, line by line: no part of it may show anywhere.
      const keyLines = signer!.privateKey.split('\n').filter((line) => line.length > 40);
      const shown = [
        logs.text,
        JSON.stringify(await app.mailcode.events.list(acme, { limit: 200 })),
        JSON.stringify(await app.mailcode.dkim.list(acme.id)),
        (await app.inject({ method: 'GET', url: '/events?limit=200', headers: acme.auth })).body,
        (await app.inject({ method: 'GET', url: '/readyz' })).body,
        await databaseText(config.DATABASE_URL, dir),
      ];
      for (const text of shown) for (const line of keyLines) t.notOk(text.includes(line), 'no line of the private key');
      t.match(shown[5], /mc1/, 'the dump does hold the key row (a dump of nothing proves nothing)');
    },
  );

  t.test('pino redacts codes, keys and secrets even if a caller logs them', async (t) => {
    const { app, logs } = await build(t);
    app.log.info(
      {
        code: '123456',
        apiKey: 'mc_secretkey',
        req: { headers: { authorization: 'Bearer mc_secretkey' } },
        nested: { code: '654321', secret: 's3cr3t' },
      },
      'careless',
    );
    const line = logs.lines.find((l) => l.includes('careless'))!;
    t.notOk(/123456|654321|mc_secretkey|s3cr3t/.test(line), line);
    t.match(line, /\[redacted\]/);
  });

  t.test('a sent mail leaves no payload behind in the outbox', async (t) => {
    const { config, createClient, sendCode } = await build(t);
    const acme = await createClient();
    await sendCode(acme.apiKey, { email: 'a@acme.example' });
    t.same(await selectRows(config.DATABASE_URL, 'select status, payload from outbox'), [
      { status: 'sent', payload: null },
    ]);
  });

  t.test(
    'a continue link token and a browser binding appear in no log line, response, event or database row',
    async (t) => {
      const { app, config, createClient, mail, logs, dir, sendCode } = await build(t, { env: { LOG_LEVEL: 'trace' } });
      const acme = await createClient();
      await app.mailcode.clients.update(
        acme.id,
        { continueUrl: 'https://portal.acme.example/verify-email' },
        { actor: 'cli', requestId: null },
      );
      const binding = 'bindingOfTheBrowserThatAsked_0123456789abc';
      const responses = [(await sendCode(acme.apiKey, { email: 'alice@acme.example', browserBinding: binding })).body];
      const token = /#mc=([A-Za-z0-9_-]{32})/.exec(String(mail.sent.at(-1)!.text))![1]!;
      const link = (body: Record<string, unknown>) =>
        app.inject({ method: 'POST', url: '/verify-link', headers: acme.auth, payload: body });
      responses.push((await link({ token, browserBinding: 'bindingOfAnotherBrowser_0123456789abcdef' })).body);
      responses.push((await link({ token, browserBinding: binding })).body);
      responses.push((await link({ token, browserBinding: binding })).body);
      const events = (await app.inject({ method: 'GET', url: '/events', headers: acme.auth })).body;
      const stored = await databaseText(config.DATABASE_URL, dir);
      for (const [name, text] of [
        ['logs', logs.text],
        ['responses', responses.join('\n')],
        ['events', events],
        ['the database', stored],
      ] as const) {
        t.notOk(text.includes(token), `no token in ${name}`);
        t.notOk(text.includes(binding), `no binding in ${name}`);
      }
      t.match(events, /"method":"link"/, 'the events do say a link was used');
    },
  );
});
