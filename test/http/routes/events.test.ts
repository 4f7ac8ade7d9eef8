// GET /events: a client reads its own audit trail, newest first, page by page, filtered by
// type or subject; another client's events are never in it.
import { build } from '../../helpers/build.js';
import { onEachDatabase } from '../../helpers/databases.js';

type Page = {
  events: {
    id: string;
    type: string;
    subject: string;
    email: string | null;
    actor: string;
    requestId: string | null;
    occurredAt: string;
  }[];
  nextCursor: string | null;
};

await onEachDatabase(async (t) => {
  t.test('newest first, with who caused each event and the request it came from', async (t) => {
    const { app, createClient, clock } = await build(t, { env: { RESEND_COOLDOWN_SECONDS: '0' } });
    const acme = await createClient();
    const sent = await app.inject({
      method: 'POST',
      url: '/send-code',
      headers: { ...acme.auth, 'x-request-id': 'portal-req-1' },
      payload: { email: 'ann@acme.example' },
    });
    const { verificationId } = sent.json();
    clock.advance(1_000);
    await app.inject({ method: 'DELETE', url: `/verifications/${verificationId}`, headers: acme.auth });
    const page = (await app.inject({ method: 'GET', url: '/events', headers: acme.auth })).json() as Page;
    t.same(
      page.events.map((e) => e.type),
      ['verification.canceled', 'verification.created', 'client.created'],
    );
    t.match(page.events[1], {
      subject: verificationId,
      email: 'a***@acme.example',
      actor: 'portal',
      requestId: 'portal-req-1',
    });
    t.match(page.events[2], { subject: acme.id, actor: 'cli', email: null });
    t.ok(
      Date.parse(page.events[0]!.occurredAt) > Date.parse(page.events[1]!.occurredAt),
      'times on the wire, in order',
    );
    t.equal(page.nextCursor, null, 'one page holds them all');
  });

  t.test('pages: each page continues where the last ended, with no event twice and none left out', async (t) => {
    const { app, createClient, clock } = await build(t, { env: { RESEND_COOLDOWN_SECONDS: '0' } });
    const acme = await createClient();
    for (let i = 0; i < 7; i++) {
      await app.inject({
        method: 'POST',
        url: '/send-code',
        headers: acme.auth,
        payload: { email: `p${i}@acme.example` },
      });
      clock.advance(10);
    }
    const whole = (await app.inject({ method: 'GET', url: '/events?limit=200', headers: acme.auth })).json() as Page;
    t.equal(whole.events.length, 8, 'seven verifications and the client');
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const url: string = `/events?limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await app.inject({ method: 'GET', url, headers: acme.auth })).json() as Page;
      t.ok(page.events.length <= 3);
      seen.push(...page.events.map((e) => e.id));
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    t.same(
      seen,
      whole.events.map((e) => e.id),
    );
  });

  t.test('filters: by type (a list) and by subject; an unknown type is a 400, not an empty page', async (t) => {
    const { app, createClient } = await build(t, { env: { RESEND_COOLDOWN_SECONDS: '0' } });
    const acme = await createClient();
    const first = (
      await app.inject({
        method: 'POST',
        url: '/send-code',
        headers: acme.auth,
        payload: { email: 'ann@acme.example' },
      })
    ).json();
    await app.inject({ method: 'POST', url: '/send-code', headers: acme.auth, payload: { email: 'bob@acme.example' } });
    const created = (
      await app.inject({
        method: 'GET',
        url: '/events?type=verification.created,verification.canceled',
        headers: acme.auth,
      })
    ).json() as Page;
    t.same(
      created.events.map((e) => e.type),
      ['verification.created', 'verification.created'],
    );
    const one = (
      await app.inject({ method: 'GET', url: `/events?subject=${first.verificationId}`, headers: acme.auth })
    ).json() as Page;
    t.same(
      one.events.map((e) => e.subject),
      [first.verificationId],
    );
    for (const query of [
      'type=verification.creatd',
      'limit=0',
      'limit=-1',
      'limit=1000',
      'cursor=nope',
      'colour=blue',
    ]) {
      const refused = await app.inject({ method: 'GET', url: `/events?${query}`, headers: acme.auth });
      t.equal(refused.statusCode, 400, query);
      t.match(refused.json(), { code: 'invalid_request' });
    }
    const capped = await app.inject({ method: 'GET', url: '/events?limit=999', headers: acme.auth });
    t.equal(capped.statusCode, 200, 'up to 999 is read as at most 200 a page');
  });

  t.test("a client sees only its own events; another's cursor or subject shows it nothing", async (t) => {
    const { app, createClient } = await build(t);
    const acme = await createClient('Acme Portal', ['acme.example']);
    const globex = await createClient('Globex Portal', ['globex.example']);
    const sent = (
      await app.inject({
        method: 'POST',
        url: '/send-code',
        headers: acme.auth,
        payload: { email: 'ann@acme.example' },
      })
    ).json();
    const own = (await app.inject({ method: 'GET', url: '/events', headers: globex.auth })).json() as Page;
    t.same(
      own.events.map((e) => e.subject),
      [globex.id],
      'only its own creation',
    );
    const bySubject = (
      await app.inject({ method: 'GET', url: `/events?subject=${sent.verificationId}`, headers: globex.auth })
    ).json() as Page;
    t.same(bySubject.events, []);
    const acmeEvents = (await app.inject({ method: 'GET', url: '/events', headers: acme.auth })).json() as Page;
    const byCursor = (
      await app.inject({ method: 'GET', url: `/events?cursor=${acmeEvents.events[0]!.id}`, headers: globex.auth })
    ).json() as Page;
    t.notOk(byCursor.events.some((e) => e.subject === sent.verificationId || e.subject === acme.id));
    t.equal((await app.inject({ method: 'GET', url: '/events' })).statusCode, 401, 'no key, no trail');
  });
});
