// An SMTP relay per client: each client's mail leaves through its own relay only, in its own
// connection pool, with the same delivery states and retries; one client's dead relay delays
// no other client's mail, and the relay's URL (credentials and all) is never shown again.
import type { Test } from 'tap';
import { build, byCommandLine } from '../helpers/build.js';
import { onEachDatabase } from '../helpers/databases.js';
import { freePort } from '../helpers/processes.js';
import { loopbackSmtpServer } from '../helpers/scripted-smtp.js';

/** A relay on loopback that keeps the recipients it accepted. */
async function relay(t: Test) {
  const received: string[] = [];
  const port = await loopbackSmtpServer(t, {
    onRcptTo(address, _session, callback) {
      received.push(address.address);
      callback();
    },
    onData(stream, _session, callback) {
      stream.resume();
      stream.on('end', () => callback(null, 'Queued as RELAY1'));
    },
  });
  return { port, received };
}

await onEachDatabase(async (t) => {
  t.test("each client's mail arrives only at its relay; a dead relay defers only its client's mail", async (t) => {
    const { app, createClient, mail, clock, logs } = await build(t);
    const { relays, worker } = app.mailcode;
    const acme = await createClient('Acme Portal', ['acme.example']);
    const globex = await createClient('Globex', ['globex.example']);
    const other = await createClient('Initech', ['initech.example']);
    const [acmeRelay, globexRelay] = [await relay(t), await relay(t)];
    t.equal(
      await relays.set(acme.id, `smtp://acme-user:s3cret-pass@127.0.0.1:${acmeRelay.port}`, byCommandLine),
      `smtp://127.0.0.1:${acmeRelay.port}`,
      'shown without credentials',
    );
    await relays.set(globex.id, `smtp://127.0.0.1:${globexRelay.port}`, byCommandLine);
    const send = (client: { auth: Record<string, string> }, email: string) =>
      app.inject({ method: 'POST', url: '/send-code', headers: client.auth, payload: { email } });

    await send(acme, 'ann@acme.example');
    await send(globex, 'bob@globex.example');
    await send(other, 'cy@initech.example');
    await worker.runOnce();
    t.same(acmeRelay.received, ['ann@acme.example'], "Acme's mail at Acme's relay only");
    t.same(globexRelay.received, ['bob@globex.example'], "Globex's at Globex's only");
    t.same(
      mail.sent.map((m) => m.to),
      ['cy@initech.example'],
      "a client without a relay uses the server's",
    );
    const state = async (client: { auth: Record<string, string> }, id: string) =>
      (await app.inject({ method: 'GET', url: `/verifications/${id}`, headers: client.auth })).json();

    // Acme's relay goes away (nothing listens on its new address): its mail is deferred and
    // retried; Globex's mail leaves meanwhile.
    const dead = await freePort();
    await relays.set(acme.id, `smtp://127.0.0.1:${dead}`, byCommandLine);
    clock.advance(60_000);
    const waiting = (await send(acme, 'dee@acme.example')).json().verificationId;
    const flowing = (await send(globex, 'eve@globex.example')).json().verificationId;
    await worker.runOnce();
    t.match(
      await state(acme, waiting),
      { delivery: 'deferred', deliveryAttempts: 1 },
      "Acme's mail waits for its relay",
    );
    t.match(await state(globex, flowing), { delivery: 'sent' }, "Globex's is delivered meanwhile");
    t.same(globexRelay.received, ['bob@globex.example', 'eve@globex.example']);

    // Back: the retry delivers through the relay as it is now.
    await relays.set(acme.id, `smtp://127.0.0.1:${acmeRelay.port}`, byCommandLine);
    clock.advance(120_000);
    await worker.runOnce();
    t.match(await state(acme, waiting), { delivery: 'sent', deliveryAttempts: 2 });
    t.same(acmeRelay.received, ['ann@acme.example', 'dee@acme.example']);

    // Back to the server's.
    await relays.clear(acme.id, byCommandLine);
    clock.advance(60_000);
    await send(acme, 'fay@acme.example');
    await worker.runOnce();
    t.same(
      mail.sent.map((m) => m.to),
      ['cy@initech.example', 'fay@acme.example'],
    );

    const trail = (await app.mailcode.events.list(acme, { types: ['client.relay_set', 'client.relay_removed'] }))
      .events;
    t.same(trail.map((e) => e.type).reverse(), [
      'client.relay_set',
      'client.relay_set',
      'client.relay_set',
      'client.relay_removed',
    ]);
    t.notMatch(JSON.stringify(trail) + logs.text, /s3cret-pass|acme-user/, 'no credentials in events or logs');
    // The relays' pools close with the app; closed now, the relays' own teardown does not
    // wait for their idle connections to time out.
    await app.close();
  });

  t.test('a relay URL that is not smtp:// or smtps:// is refused; an unknown client too', async (t) => {
    const { app, createClient } = await build(t);
    const acme = await createClient();
    for (const url of ['http://relay.example', 'smtp://', 'smtps://relay.example/path', 'not a url']) {
      await t.rejects(
        app.mailcode.relays.set(acme.id, url, byCommandLine),
        { name: 'DomainError', refusal: { kind: 'invalid_request' } },
        url,
      );
    }
    await t.rejects(app.mailcode.relays.set('cl_nobody', 'smtps://relay.example', byCommandLine), {
      name: 'DomainError',
      refusal: { kind: 'client_not_found' },
    });
    await t.rejects(
      app.mailcode.relays.clear(acme.id, byCommandLine),
      { name: 'DomainError', refusal: { kind: 'invalid_request' } },
      'nothing to remove',
    );
  });
});
