// How an operator signs in, against in-memory sessions and stand-ins for the verification
// and TOTP services (each does what its own tests specify): the steps, the stages, what is
// recorded, and answers that never tell an operator's address from another.
import t from 'tap';
import type { Client } from '../../src/clients/model.js';
import type { NewEvent, RequestContext } from '../../src/events/model.js';
import { serviceScope, type Operator } from '../../src/operators/model.js';
import { ConsoleSessions } from '../../src/operators/sessions.js';
import { ConsoleSignIn } from '../../src/operators/sign-in.js';
import { refuse as refuseTotp } from '../../src/totp/refusals.js';
import { refuse, type VerificationRefusal } from '../../src/verification/refusals.js';
import { memorySessions } from '../helpers/memory-sessions.js';

const start = Date.parse('2026-12-03T09:00:00Z');
const request: RequestContext = { actor: 'operator', requestId: 'req-1', endUserIp: '198.51.100.7' };
const own = { id: serviceScope, name: 'mailcode', allowedDomains: [], secondFactor: 'required' } as unknown as Client;

function setUp(options: { enrolled?: boolean; sendRefusal?: VerificationRefusal } = {}) {
  const ann: Operator = { id: 'op_ann', email: 'ann@ops.example', role: 'support', createdAt: start, disabledAt: null };
  const operators = new Map([[ann.id, ann]]);
  const { rows, port } = memorySessions();
  const sessions = new ConsoleSessions(port, { get: async (id) => operators.get(id) }, { now: () => start });
  const sent: { client: Client; email: string; context: RequestContext }[] = [];
  const events: NewEvent[] = [];
  let enrolled = options.enrolled ?? false;
  const confirmedFor: (string | undefined)[] = [];
  const signIn = new ConsoleSignIn({
    operators: { findByEmail: async (email) => [...operators.values()].find((o) => o.email === email) },
    sessions,
    verification: {
      async sendCode(client, input, context) {
        if (options.sendRefusal) throw refuse(options.sendRefusal);
        sent.push({ client, email: input.email, context: context! });
        return { verification: {} as never, resendAfter: 0 };
      },
      async verifyCode(_client, _target, code) {
        if (code === '111111') return { assertion: 'jwt', expiresAt: start };
        if (code === '999999') throw refuse({ kind: 'too_many_attempts' });
        throw refuse({ kind: 'invalid_code', attemptsRemaining: 4 });
      },
    },
    totp: {
      status: async () => ({
        userRef: ann.id,
        enabled: enrolled,
        required: true,
        enabledSince: null,
        recoveryCodesLeft: 10,
      }),
      async verify(_client, input) {
        if (input.code === '222222') return { assertion: 'jwt', expiresAt: start } as never;
        if (input.code === '999999') throw refuseTotp({ kind: 'too_many_attempts', retryAfterMs: 900_000 });
        throw refuseTotp({ kind: 'invalid_code', attemptsRemaining: 4 });
      },
      async recover(_client, input) {
        if (input.recoveryCode === 'abcde-fghjk') return { assertion: 'jwt', expiresAt: start } as never;
        throw refuseTotp({ kind: 'invalid_code', attemptsRemaining: 4 });
      },
      enroll: async () => ({
        enrollmentId: 'te_1',
        secret: 'JBSWY3DPEHPK3PXP',
        otpauthUri: 'otpauth://totp/x',
        qrSvg: '<svg/>',
        expiresAt: start,
      }),
      async confirm(_client, enrollmentId, code, _context, userRef) {
        confirmedFor.push(userRef);
        if (enrollmentId !== 'te_1' || code !== '333333')
          throw refuseTotp({ kind: 'invalid_code', attemptsRemaining: 4 });
        enrolled = true;
        return { enabled: true as const, recoveryCodes: ['aaaaa-bbbbb'] };
      },
    },
    serviceClient: async () => own,
    events: { append: async (list) => void events.push(...list) },
    now: () => start,
  });
  const stageOf = async (cookie: string) => (await sessions.read(cookie))?.session.stage;
  return { signIn, sessions, rows, sent, events, ann, operators, stageOf, confirmedFor };
}

t.test(
  "an operator's address gets a code mailed by mailcode's own client, only to the operator's domain",
  async (t) => {
    const { signIn, sent, stageOf } = setUp();
    const { cookie } = await signIn.begin(' Ann@OPS.example ', request);
    await signIn.settled();
    t.equal(await stageOf(cookie), 'code');
    t.equal(sent.length, 1);
    t.match(sent[0], {
      email: 'ann@ops.example',
      client: { id: serviceScope, name: 'mailcode console', allowedDomains: ['ops.example'], continueUrl: null },
      context: { actor: 'operator', operatorId: 'op_ann', endUserIp: '198.51.100.7' },
    });
  },
);

t.test('any other address gets a cookie of the same shape with nothing behind it, and no mail', async (t) => {
  const { signIn, sent, rows, ann, operators } = setUp();
  const stranger = await signIn.begin('eve@ops.example', request);
  await signIn.settled();
  const malformed = await signIn.begin('not an address', request);
  await signIn.settled();
  operators.set(ann.id, { ...ann, disabledAt: start });
  const disabled = await signIn.begin(ann.email, request);
  await signIn.settled();
  t.equal(sent.length, 0);
  t.equal(rows.size, 0, 'no session');
  for (const { cookie } of [stranger, malformed, disabled]) t.match(cookie, /^[A-Za-z0-9_-]{43}$/);
  t.same(
    await signIn.checkCode(stranger.cookie, '111111', request),
    { ok: false, problem: 'wrong_code' },
    'even the code that would be right reads as wrong',
  );
});

t.test('a refused send is recorded, and the answer is the same', async (t) => {
  const { signIn, events, stageOf } = setUp({
    sendRefusal: { kind: 'rate_limited', limit: 'email_hour', retryAfterMs: 60_000 },
  });
  const { cookie } = await signIn.begin('ann@ops.example', request);
  await signIn.settled();
  t.equal(await stageOf(cookie), 'code');
  t.match(events, [
    {
      type: 'operator.sign_in_failed',
      clientId: serviceScope,
      subject: 'op_ann',
      maskedEmail: 'a***@ops.example',
      actor: 'operator',
      actorId: 'op_ann',
      data: { step: 'send', refusal: 'rate_limited' },
    },
  ]);
});

t.test(
  'the right code moves to enrolment the first time, under a new id; a wrong or locked one reads the same',
  async (t) => {
    const { signIn, events, stageOf } = setUp();
    const { cookie } = await signIn.begin('ann@ops.example', request);
    await signIn.settled();
    t.same(await signIn.checkCode(cookie, '000000', request), { ok: false, problem: 'wrong_code' });
    t.same(
      await signIn.checkCode(cookie, '999999', request),
      { ok: false, problem: 'wrong_code' },
      'a locked code is not told apart',
    );
    t.same(
      events.map((e) => e.data),
      [
        { step: 'code', refusal: 'invalid_code' },
        { step: 'code', refusal: 'too_many_attempts' },
      ],
    );
    const next = await signIn.checkCode(cookie, '111111', request);
    if (!next.ok) return t.fail('refused');
    t.equal(next.stage, 'enrol');
    t.not(next.cookie, cookie);
    t.equal(await stageOf(cookie), undefined, 'the old id is gone');
    t.same(
      await signIn.checkCode(next.cookie, '111111', request),
      { ok: false, problem: 'wrong_code' },
      'the code step is over',
    );
    t.equal(
      await signIn.checkSecondFactor(next.cookie, { code: '222222' }, request).then((r) => r.ok),
      false,
      'no authenticator step before enrolment',
    );
  },
);

t.test(
  'enrolment: the QR code for the operator, confirmed for the operator only, then signed in with the recovery codes',
  async (t) => {
    const { signIn, events, stageOf, confirmedFor } = setUp();
    const { cookie } = await signIn.begin('ann@ops.example', request);
    await signIn.settled();
    const atEnrol = await signIn.checkCode(cookie, '111111', request);
    if (!atEnrol.ok) return t.fail('refused');
    t.match(await signIn.enrol(atEnrol.cookie), { enrollmentId: 'te_1', qrSvg: '<svg/>' });
    t.equal(await signIn.enrol(cookie), undefined, 'not for an old id');
    t.same(await signIn.confirmEnrolment(atEnrol.cookie, 'te_1', '000000', request), {
      ok: false,
      problem: 'wrong_code',
    });
    const done = await signIn.confirmEnrolment(atEnrol.cookie, 'te_1', '333333', request);
    if (!done.ok) return t.fail('refused');
    t.same(done.recoveryCodes, ['aaaaa-bbbbb']);
    t.equal(await stageOf(done.cookie), 'signed_in');
    t.same(confirmedFor, ['op_ann', 'op_ann'], "the operator's own enrolment only");
    t.match(events.at(-1), { type: 'operator.signed_in', actorId: 'op_ann', data: { method: 'enrolment' } });
  },
);

t.test('with an authenticator: its code or a recovery code signs in; a locked one says for how long', async (t) => {
  const { signIn, events, stageOf } = setUp({ enrolled: true });
  const atApp = async () => {
    const { cookie } = await signIn.begin('ann@ops.example', request);
    await signIn.settled();
    const next = await signIn.checkCode(cookie, '111111', request);
    if (!next.ok || next.stage !== 'second_factor') throw new Error('not at the authenticator step');
    return next.cookie;
  };
  const cookie = await atApp();
  t.same(await signIn.checkSecondFactor(cookie, { code: '000000' }, request), { ok: false, problem: 'wrong_code' });
  t.same(await signIn.checkSecondFactor(cookie, { code: '999999' }, request), {
    ok: false,
    problem: 'locked',
    retryAfterMs: 900_000,
  });
  const done = await signIn.checkSecondFactor(cookie, { code: '222222' }, request);
  t.equal(done.ok && (await stageOf(done.cookie)), 'signed_in');
  const viaRecovery = await signIn.checkSecondFactor(await atApp(), { recoveryCode: 'abcde-fghjk' }, request);
  t.equal(viaRecovery.ok, true);
  t.same(
    events.filter((e) => e.type === 'operator.signed_in').map((e) => e.data.method),
    ['totp', 'recovery_code'],
  );
  t.same(
    events.filter((e) => e.type === 'operator.sign_in_failed').map((e) => e.data.step),
    ['authenticator', 'authenticator'],
  );
});

t.test('sign out ends this session; everywhere ends them all; both recorded', async (t) => {
  const { signIn, stageOf, events } = setUp({ enrolled: true });
  const signedIn = async () => {
    const { cookie } = await signIn.begin('ann@ops.example', request);
    await signIn.settled();
    const a = await signIn.checkCode(cookie, '111111', request);
    const b = a.ok ? await signIn.checkSecondFactor(a.cookie, { code: '222222' }, request) : a;
    if (!b.ok) throw new Error('not signed in');
    return b.cookie;
  };
  const [one, two, three] = [await signedIn(), await signedIn(), await signedIn()];
  await signIn.signOut(one, request);
  t.equal(await stageOf(one), undefined);
  t.equal(await stageOf(two), 'signed_in');
  await signIn.signOut(two, request, true);
  t.equal(await stageOf(three), undefined, 'everywhere');
  t.same(
    events.filter((e) => e.type === 'operator.signed_out').map((e) => e.data),
    [{ everywhere: false }, { everywhere: true }],
  );
  await signIn.signOut('unknown', request);
  t.equal(events.filter((e) => e.type === 'operator.signed_out').length, 2, 'nothing for a cookie without a session');
});

t.test(
  "an operator's address and a stranger's are answered after the same work: one lookup; the session and the code come after the answer",
  async (t) => {
    // What each answer did before it was given, from the calls the sign-in made of its ports.
    const workBeforeAnswer = async (email: string) => {
      const { signIn, sessions, sent } = setUp();
      const calls: string[] = [];
      const start = sessions.start.bind(sessions);
      sessions.start = async (...args) => (calls.push('session'), start(...args));
      const answer = signIn.begin(email, request).then((result) => (calls.push('answered'), result));
      const { cookie } = await answer;
      const before = calls.slice(0, calls.indexOf('answered'));
      await signIn.settled();
      return { before, after: calls.slice(calls.indexOf('answered') + 1), sent: sent.length, cookie, sessions };
    };
    const operator = await workBeforeAnswer('ann@ops.example');
    const stranger = await workBeforeAnswer('eve@ops.example');
    t.same(operator.before, stranger.before, 'the same work before either answer');
    t.same(operator.before, [], 'no session and no mail before the answer');
    t.same(operator.after, ['session'], "the operator's session after it");
    t.equal(operator.sent, 1, 'and the code');
    t.equal((await operator.sessions.read(operator.cookie))?.session.stage, 'code', 'under the cookie the answer gave');
    t.same(stranger.after, [], 'nothing for the stranger');
    t.equal(stranger.sent, 0);
  },
);
