// The console's sessions against in-memory ports: what a cookie is worth, and for how long.
import t from 'tap';
import type { Operator } from '../../src/operators/model.js';
import { ConsoleSessions, sessionIdleMs, sessionLifetimeMs } from '../../src/operators/sessions.js';
import { memorySessions } from '../helpers/memory-sessions.js';

const start = Date.parse('2026-12-03T09:00:00Z');

function setUp() {
  const clock = { now: start };
  const { rows, port } = memorySessions();
  const ann: Operator = { id: 'op_ann', email: 'ann@acme.example', role: 'admin', createdAt: start, disabledAt: null };
  const operators = new Map([[ann.id, ann]]);
  const sessions = new ConsoleSessions(port, { get: async (id) => operators.get(id) }, { now: () => clock.now });
  return { clock, rows, sessions, ann, operators };
}

t.test('a cookie is 256 random bits; the store keeps only its hash', async (t) => {
  const { sessions, rows } = setUp();
  const { cookie, session } = await sessions.start('op_ann');
  t.match(cookie, /^[A-Za-z0-9_-]{43}$/);
  t.not(session.idHash, cookie);
  t.notOk(JSON.stringify([...rows.values()]).includes(cookie), 'the cookie is nowhere in the store');
  t.match(await sessions.read(cookie), {
    session: { stage: 'code', operatorId: 'op_ann' },
    operator: { id: 'op_ann' },
  });
  t.equal(await sessions.read('not-a-session'), undefined);
  t.equal(await sessions.read(undefined), undefined);
  t.equal(await sessions.read('x'.repeat(200)), undefined);
});

t.test('each step of a sign-in changes the id: the old cookie stops working', async (t) => {
  const { sessions } = setUp();
  const { cookie } = await sessions.start('op_ann');
  const second = await sessions.advance(cookie, 'second_factor');
  t.ok(second);
  t.not(second, cookie);
  t.equal(await sessions.read(cookie), undefined, 'the id from before the code is worth nothing');
  const signedIn = (await sessions.advance(second!, 'signed_in'))!;
  t.match(await sessions.read(signedIn), { session: { stage: 'signed_in' } });
  t.equal(await sessions.advance(second!, 'signed_in'), undefined, 'an old id cannot advance either');
});

t.test('30 minutes without a request end a session; requests keep it alive, up to 12 hours', async (t) => {
  const { sessions, clock } = setUp();
  const { cookie } = await sessions.start('op_ann', 'signed_in');
  clock.now += sessionIdleMs - 1;
  t.ok(await sessions.read(cookie), 'a request just inside the idle limit');
  for (let i = 0; i < 25; i++) {
    clock.now += 29 * 60_000;
    if (clock.now - start >= sessionLifetimeMs) break;
    t.ok(await sessions.read(cookie), `still there after ${Math.round((clock.now - start) / 60_000)} minutes of use`);
  }
  clock.now = start + sessionLifetimeMs;
  t.equal(await sessions.read(cookie), undefined, 'twelve hours after it began, used or not');
  const idle = (await sessions.start('op_ann', 'signed_in')).cookie;
  clock.now += sessionIdleMs;
  t.equal(await sessions.read(idle), undefined, 'idle for 30 minutes');
});

t.test('a disabled or removed operator is signed out at once; sign out, and sign out everywhere', async (t) => {
  const { sessions, ann, operators } = setUp();
  const a = (await sessions.start('op_ann', 'signed_in')).cookie;
  const b = (await sessions.start('op_ann', 'signed_in')).cookie;
  await sessions.end(a);
  t.equal(await sessions.read(a), undefined, 'signed out');
  t.ok(await sessions.read(b), 'the other browser is still in');
  t.equal(await sessions.endAllOf('op_ann'), 1, 'everywhere');
  t.equal(await sessions.read(b), undefined);
  const c = (await sessions.start('op_ann', 'signed_in')).cookie;
  operators.set('op_ann', { ...ann, disabledAt: start });
  t.equal(await sessions.read(c), undefined, 'disabled: at once');
  operators.delete('op_ann');
  t.equal(await sessions.read((await sessions.start('op_ann', 'signed_in')).cookie), undefined, 'removed: at once');
});

t.test('sessions that ended and are never read again are removed by the sweep, the others kept', async (t) => {
  const { sessions, clock, rows } = setUp();
  const idle = (await sessions.start('op_ann', 'signed_in')).cookie;
  clock.now += 20 * 60_000;
  const fresh = (await sessions.start('op_ann', 'signed_in')).cookie;
  clock.now += 10 * 60_000;
  t.equal(await sessions.removeEnded(), 1, 'the one idle for 30 minutes');
  t.equal(rows.size, 1);
  t.ok(await sessions.read(fresh));
  t.equal(await sessions.read(idle), undefined);
});
