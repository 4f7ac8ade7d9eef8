// What support sees of a person and does for them, against stand-ins for the services each
// part comes from: the report's parts, mailcode's own client kept out, and the reason
// every action needs.
import t from 'tap';
import type { Client } from '../../src/clients/model.js';
import type { RequestContext } from '../../src/events/model.js';
import type { Operator } from '../../src/operators/model.js';
import { actionContext, SupportService } from '../../src/operators/support.js';
import { refuse } from '../../src/clients/refusals.js';

const sam: Operator = { id: 'op_sam', email: 'sam@ops.example', role: 'support', createdAt: 0, disabledAt: null };
const request = { requestId: 'req-9', ip: '127.0.0.1' };
const acme = { id: 'cl_acme', name: 'Acme Portal', allowedDomains: ['acme.example'] } as Client;

function setUp() {
  const calls: { what: string; client?: string; context?: RequestContext; args: unknown[] }[] = [];
  const vf = (id: string, clientId: string) => ({
    verification: { id, clientId, email: 'p@acme.example' },
    status: 'pending',
    delivery: null,
    attemptsRemaining: 5,
  });
  const support = new SupportService({
    clients: {
      list: async () => [acme],
      async get(id) {
        if (id !== acme.id) throw refuse({ kind: 'client_not_found', detail: `no client ${id}` });
        return acme;
      },
    },
    verification: {
      findByEmail: async () => [vf('vf_1', 'cl_acme'), vf('vf_own', '~mailcode')] as never,
      standing: async (client, email) => (
        calls.push({ what: 'standing', client: client.id, args: [email] }),
        {
          verdict: { kind: 'limited', limit: 'email_hour', retryAfterMs: 60_000 },
          limits: [{ limit: 'email_hour', used: 5, max: 5, windowMs: 3_600_000, retryAfterMs: 60_000 }],
        }
      ),
      cancelVerification: async (client, id, context) =>
        void calls.push({ what: 'cancel', client: client.id, context, args: [id] }),
    },
    suppressions: {
      findByEmail: async () => [
        {
          clientId: 'cl_acme',
          email: 'p@acme.example',
          reason: '550 5.1.1 unknown',
          enhancedStatus: '5.1.1',
          verificationId: 'vf_1',
          createdAt: 1,
          until: 2,
        },
      ],
      lift: async (client, email, context) =>
        void calls.push({ what: 'lift', client: client.id, context, args: [email] }),
    },
    totp: {
      factorsOf: async (person) => [
        {
          clientId: 'cl_acme',
          userRef: 'u-1',
          accountName: person,
          enabledSince: 1,
          lockedUntil: null,
          recoveryCodesLeft: 9,
        },
      ],
      reset: async (client, userRef, context) =>
        void calls.push({ what: 'reset', client: client.id, context, args: [userRef] }),
      regenerateRecoveryCodes: async (client, userRef, context) => (
        calls.push({ what: 'codes', client: client.id, context, args: [userRef] }), { recoveryCodes: ['x'] }
      ),
    },
    // u-7 proved p@acme.example at Acme, and pat.old@acme.example before.
    people: {
      linkedTo: async (query) => {
        const rows = [
          { clientId: 'cl_acme', userRef: 'u-7', email: 'p@acme.example', purpose: 'login' as const, provenAt: 2 },
          {
            clientId: 'cl_acme',
            userRef: 'u-7',
            email: 'pat.old@acme.example',
            purpose: 'signup' as const,
            provenAt: 1,
          },
        ].map((r) => ({ ...r, verificationId: 'vf_1', locale: 'en' }));
        const linked = 'email' in query ? rows.some((r) => r.email === query.email) : query.userRef === 'u-7';
        return linked ? rows : [];
      },
    },
    events: {
      timeline: async (_clientId, subject) => [
        { type: 'mail.sent', subject } as never,
        { type: 'client.updated', subject } as never,
        ...(subject === 'u-1' ? [{ type: 'notice.queued', subject } as never] : []),
      ],
    },
    // u-1 asked for a recovery by email; it waits.
    recovery: {
      list: async (_client, userRef) =>
        userRef === 'u-1' ? [{ id: 'rc_1', userRef, status: 'waiting', completesAt: 9 } as never] : [],
      stateOf: (r) => r.status,
      approve: async (client, userRef, id, context) => (
        calls.push({ what: 'approve', client: client.id, context, args: [userRef, id] }), {} as never
      ),
      cancel: async (client, userRef, id, context) => (
        calls.push({ what: 'cancel recovery', client: client.id, context, args: [userRef, id] }), {} as never
      ),
    },
    trustedBrowsers: {
      list: async (_client, userRef) =>
        userRef === 'u-1' ? [{ id: 'tb_1', label: 'Laptop', createdAt: 1, lastUsedAt: 2, expiresAt: 3 }] : [],
      revoke: async (client, userRef, id, context) => (
        calls.push({ what: 'revoke browsers', client: client.id, context, args: [userRef, id] }), 1
      ),
    },
    passkeys: {
      list: async () => [],
      remove: async (client, userRef, id, context) => {
        calls.push({ what: 'remove passkey', client: client.id, context, args: [userRef, id] });
      },
      removeAll: async () => 0,
    },
  });
  return { support, calls };
}

t.test(
  'a person by address: verifications with their delivery story, suppressions, limits per client, authenticators',
  async (t) => {
    const { support, calls } = setUp();
    const report = await support.lookUp(' P@Acme.Example ');
    t.equal(report.email, 'p@acme.example');
    t.same(
      report.verifications.map((v) => v.verification.id),
      ['vf_1'],
      "mailcode's own sign-ins are not a client's person",
    );
    t.same(
      report.verifications[0]!.story.map((e) => e.type),
      ['mail.sent'],
      'the story is the delivery events',
    );
    t.match(report.suppressions, [{ clientName: 'Acme Portal', reason: '550 5.1.1 unknown' }]);
    t.match(report.limits, [
      {
        client: { id: 'cl_acme', name: 'Acme Portal' },
        standing: {
          verdict: { kind: 'limited', limit: 'email_hour' },
          limits: [{ limit: 'email_hour', retryAfterMs: 60_000 }],
        },
      },
    ]);
    t.same(
      calls.filter((c) => c.what === 'standing').map((c) => c.args[0]),
      ['p@acme.example'],
    );
    t.match(report.authenticators, [{ clientName: 'Acme Portal', userRef: 'u-1', accountName: 'p@acme.example' }]);
  },
);

t.test('a person by address or by user reference is the same person: linked both ways', async (t) => {
  const { support } = setUp();
  const byAddress = await support.lookUp('p@acme.example');
  const byRef = await support.lookUp('u-7');
  const who = [
    {
      client: { id: 'cl_acme', name: 'Acme Portal' },
      userRef: 'u-7',
      addresses: [
        { email: 'p@acme.example', purpose: 'login', provenAt: 2 },
        { email: 'pat.old@acme.example', purpose: 'signup', provenAt: 1 },
      ],
    },
  ];
  t.same(byAddress.people, who, 'the address leads to the person it was proven for');
  t.same(byRef.people, who, 'the user reference to the addresses it proved');
  t.equal(byRef.email, 'p@acme.example', 'by reference, the page is about the address proven last');
  t.same(
    byRef.verifications.map((v) => v.verification.id),
    byAddress.verifications.map((v) => v.verification.id),
    'the same verifications',
  );
  t.same(
    byRef.authenticators.map((a) => a.userRef),
    byAddress.authenticators.map((a) => a.userRef),
    'the same authenticators',
  );
});

t.test('the client chosen in the form is asked, even one that has never mailed the address', async (t) => {
  const { support, calls } = setUp();
  const report = await support.lookUp('dana@gmail.com', { clientId: 'cl_acme' });
  t.match(report.limits, [{ client: { id: 'cl_acme' } }]);
  t.same(
    calls.filter((c) => c.what === 'standing').map((c) => [c.client, c.args[0]]),
    [['cl_acme', 'dana@gmail.com']],
  );
});

t.test('a person by user reference: their authenticators; limits and verifications need an address', async (t) => {
  const { support } = setUp();
  const report = await support.lookUp('u-1');
  t.equal(report.email, null);
  t.same(report.verifications, []);
  t.same(report.limits, []);
  t.equal(report.authenticators.length, 1);
  t.match(report.trustedBrowsers, [{ userRef: 'u-1', browsers: [{ label: 'Laptop' }] }], 'their trusted browsers');
  t.match(report.recoveries, [
    { client: { id: 'cl_acme' }, userRef: 'u-1', recovery: { id: 'rc_1' }, state: 'waiting' },
  ]);
  t.same(
    report.stories.map((s) => [s.userRef, s.story.map((e) => e.type)]),
    [['u-1', ['mail.sent', 'notice.queued']]],
    "the person's notices and their mail, not other events",
  );
  t.same(support.personFilter('u-1'), { subjects: ['u-1'], maskedEmail: null });
  t.same(support.personFilter('pat@acme.example'), {
    subjects: ['p***@acme.example'],
    maskedEmail: 'p***@acme.example',
  });
});

t.test('every action needs a reason; it goes with the operator into the change', async (t) => {
  const { support, calls } = setUp();
  for (const reason of [undefined, '', '   ', 42, 'x'.repeat(501), 'line\u0000break']) {
    await t.rejects(
      support.liftSuppression(sam, 'cl_acme', 'p@acme.example', reason, request),
      { name: 'DomainError', refusal: { kind: 'invalid_request' } },
      JSON.stringify(reason),
    );
  }
  t.same(calls, [], 'nothing done without one');
  await support.cancelVerification(sam, 'cl_acme', 'vf_1', ' Ticket 1 ', request);
  await support.liftSuppression(sam, 'cl_acme', 'p@acme.example', 'Ticket 2', request);
  await support.resetAuthenticator(sam, 'cl_acme', 'u-1', 'Ticket 3', request);
  t.same(await support.regenerateRecoveryCodes(sam, 'cl_acme', 'u-1', 'Ticket 4', request), { recoveryCodes: ['x'] });
  await support.approveRecovery(sam, 'cl_acme', 'u-1', 'rc_1', 'Ticket 5', request);
  await support.cancelRecovery(sam, 'cl_acme', 'u-1', 'rc_2', 'Ticket 6', request);
  await support.revokeTrustedBrowsers(sam, 'cl_acme', 'u-1', undefined, 'Ticket 7', request);
  t.same(
    calls.map((c) => [c.what, c.client, c.context]),
    [
      ['cancel', 'cl_acme', { ...request, actor: 'operator', operatorId: 'op_sam', reason: 'Ticket 1' }],
      ['lift', 'cl_acme', { ...request, actor: 'operator', operatorId: 'op_sam', reason: 'Ticket 2' }],
      ['reset', 'cl_acme', { ...request, actor: 'operator', operatorId: 'op_sam', reason: 'Ticket 3' }],
      ['codes', 'cl_acme', { ...request, actor: 'operator', operatorId: 'op_sam', reason: 'Ticket 4' }],
      ['approve', 'cl_acme', { ...request, actor: 'operator', operatorId: 'op_sam', reason: 'Ticket 5' }],
      ['cancel recovery', 'cl_acme', { ...request, actor: 'operator', operatorId: 'op_sam', reason: 'Ticket 6' }],
      ['revoke browsers', 'cl_acme', { ...request, actor: 'operator', operatorId: 'op_sam', reason: 'Ticket 7' }],
    ],
  );
  await t.rejects(
    support.cancelVerification(sam, '~mailcode', 'vf_own', 'Because', request),
    { name: 'DomainError', refusal: { kind: 'client_not_found' } },
    "not on mailcode's own client",
  );
  t.same(actionContext(sam, 'a'.repeat(500), request).reason!.length, 500, '500 characters are allowed');
});
