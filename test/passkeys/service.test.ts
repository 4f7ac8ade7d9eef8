// The passkey rules against in-memory ports, without HTTP or SQL: what a relying party may
// be, what an assertion claims for each way a passkey signed in, and the ceremony's rules —
// a challenge of the wrong kind or for another person, a user handle that is not the
// passkey's, a counter going back (recorded, or refused where the client says so), a sign-in
// that cancels a recovery, a removal that ends what stood in for the person's factors.
import { randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import pino from 'pino';
import t from 'tap';
import { KeyRing } from '../../src/assertions/keyring.js';
import type { SigningKeyRow } from '../../src/assertions/ports.js';
import type { Client } from '../../src/clients/model.js';
import type { NewEvent } from '../../src/events/model.js';
import { passkeyClaims } from '../../src/passkeys/claims.js';
import { type Challenge, counterWentBack, type Passkey, type PasskeySettings } from '../../src/passkeys/model.js';
import type { PasskeysPort } from '../../src/passkeys/ports.js';
import { PasskeyService } from '../../src/passkeys/service.js';
import { checkPasskeySettings } from '../../src/passkeys/settings.js';
import { PasskeySettingsService } from '../../src/passkeys/settings-service.js';
import type { QueuedNotice } from '../../src/people/notices.js';
import { DomainError } from '../../src/shared/domain-error.js';
import { SoftAuthenticator } from '../helpers/soft-authenticator.js';

const origin = 'https://portal.acme.example';
const client = { id: 'cl_a', name: 'Acme', noticesOff: [], defaultLocale: 'en' } as unknown as Client;
const portal = { actor: 'portal' as const, requestId: null };

/** The passkeys port in memory, as the SQL behaves. */
function memoryPasskeys() {
  const settings = new Map<string, PasskeySettings>();
  const challenges = new Map<string, Challenge>();
  const rows = new Map<string, Passkey>();
  const events: NewEvent[] = [];
  const notices: QueuedNotice[] = [];
  const port: PasskeysPort = {
    settings: async (clientId) => settings.get(clientId),
    saveSettings: async (s, written) => {
      settings.set(s.clientId, s);
      events.push(...written);
    },
    addChallenge: async (c) => void challenges.set(c.hash, c),
    takeChallenge: async (clientId, hash) => {
      const c = challenges.get(hash);
      if (c?.clientId !== clientId) return undefined;
      challenges.delete(hash);
      return c;
    },
    dropExpiredChallenges: async () => 0,
    add: async (p, written, notice) => {
      rows.set(p.id, { ...p });
      events.push(...written);
      if (notice) notices.push(notice);
    },
    byCredential: async (clientId, credentialId) =>
      [...rows.values()].find((p) => p.clientId === clientId && p.credentialId === credentialId),
    list: async (clientId, userRef) =>
      [...rows.values()]
        .filter((p) => p.clientId === clientId && p.userRef === userRef)
        .sort((a, b) => b.createdAt - a.createdAt),
    used: async (id, change, written) => {
      const row = rows.get(id);
      if (!row) return false;
      rows.set(id, { ...row, ...change });
      events.push(...written);
      return true;
    },
    rename: async (clientId, userRef, id, name, written) => {
      const row = rows.get(id);
      if (row?.clientId !== clientId || row.userRef !== userRef) return undefined;
      rows.set(id, { ...row, name });
      events.push(...written);
      return rows.get(id);
    },
    remove: async (clientId, userRef, written, notice, id) => {
      const gone = [...rows.values()].filter(
        (p) => p.clientId === clientId && p.userRef === userRef && (id === undefined || p.id === id),
      );
      for (const p of gone) rows.delete(p.id);
      if (gone.length > 0) {
        events.push(...written(gone));
        if (notice) notices.push(notice);
      }
      return gone;
    },
  };
  return { port, rows, events, notices };
}

async function setUp(overrides: Partial<PasskeySettings> = {}) {
  let now = Date.parse('2026-03-02T09:00:00Z');
  const memory = memoryPasskeys();
  const keyRows: SigningKeyRow[] = [];
  const keys = new KeyRing(
    {
      list: async () => keyRows,
      add: async (row) => void keyRows.unshift(row),
      addFirst: async (row) => (keyRows.length ? false : (keyRows.unshift(row), true)),
      reseal: async () => {},
    },
    [randomBytes(32)],
    600_000,
    () => now,
  );
  await keys.init();
  const settings = new PasskeySettingsService(memory.port, { production: true, now: () => now });
  await settings.setUp(client, { rpId: 'acme.example', origins: [origin], alone: true, ...overrides }, portal);
  const signedIn: string[] = [];
  const factorsChanged: string[] = [];
  const service = new PasskeyService({
    passkeys: memory.port,
    settings,
    keys,
    assertion: { issuer: 'https://mailcode.example', ttlSeconds: 300 },
    notices: {
      addressOf: async () => ({ email: 'pat@acme.example', locale: 'en' }),
      outboxKeys: [randomBytes(32)],
      mailFrom: 'no-reply@acme.example',
      resolveLocale: () => 'en',
    },
    userNameOf: async () => 'pat@acme.example',
    signedIn: async (_c, userRef) => void signedIn.push(userRef),
    factorsChanged: async (_c, userRef) => void factorsChanged.push(userRef),
    now: () => now,
    logger: pino({ level: 'silent' }),
  });
  const register = async (device: SoftAuthenticator, userRef = 'u1') => {
    const options = await service.startRegistration(client, userRef, {});
    return service.finishRegistration(client, userRef, { response: device.register(options, origin) as never }, portal);
  };
  const signIn = async (device: SoftAuthenticator, input: { userRef?: string; firstFactor?: string } = {}) => {
    const options = await service.startAuthentication(client, { userRef: input.userRef });
    return service.finishAuthentication(
      client,
      {
        response: device.authenticate({ ...options, rpId: 'acme.example' }, origin) as never,
        firstFactor: input.firstFactor,
      },
      portal,
    );
  };
  return { ...memory, service, register, signIn, signedIn, factorsChanged, advance: (ms: number) => (now += ms) };
}

const refusal = async (work: Promise<unknown>) => {
  try {
    await work;
    return 'accepted';
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    return error.refusal.kind;
  }
};

t.test(
  'a relying party: a domain, origins on it or related to it, https (http only on localhost, outside production)',
  async (t) => {
    const base = { alone: false, required: false, counterStrict: false };
    const checked = (rpId: string, origins: string[], production = true) =>
      checkPasskeySettings({ ...base, rpId, origins }, production);
    t.match(checked('Acme.Example.', ['https://portal.acme.example/']), {
      ok: true,
      value: { rpId: 'acme.example', origins: ['https://portal.acme.example'] },
    });
    t.match(checked('acme.example', ['https://portal.acme.example', 'https://acme-shop.example']), { ok: true });
    t.match(checked('acme.example', ['https://acme-shop.example']), {
      ok: false,
      reason: /at least one must be on acme\.example/,
    });
    t.match(checked('10.0.0.1', ['https://10.0.0.1']), { ok: false, reason: /IP address/ });
    t.match(checked('acme.example', ['https://portal.acme.example/login']), { ok: false, reason: /not an origin/ });
    t.match(checked('acme.example', ['http://portal.acme.example']), { ok: false });
    t.match(checked('localhost', ['http://localhost:4000']), { ok: false }, 'plain http refused in production');
    t.match(checked('localhost', ['http://localhost:4000'], false), { ok: true }, 'on a laptop');
    t.match(checked('acme.example', []), { ok: false, reason: /at least one origin/ });
  },
);

t.test('what an assertion claims, for each way a passkey signs in', async (t) => {
  const device = { deviceType: 'singleDevice' as const };
  const synced = { deviceType: 'multiDevice' as const };
  t.same(passkeyClaims(device, { userVerified: true, firstFactor: false }), {
    amr: ['hwk', 'user', 'mfa'],
    acr: 'urn:mailcode:acr:2fa',
  });
  t.same(passkeyClaims(synced, { userVerified: false, firstFactor: false }), {
    amr: ['swk'],
    acr: 'urn:mailcode:acr:1fa',
  });
  t.same(passkeyClaims(synced, { userVerified: false, firstFactor: true }), {
    amr: ['otp', 'swk', 'mfa'],
    acr: 'urn:mailcode:acr:2fa',
  });
  t.equal(counterWentBack(0, 0), false, 'synced passkeys stay at 0');
  t.equal(counterWentBack(5, 6), false);
  t.equal(counterWentBack(5, 5), true, 'the same counter again');
  t.equal(counterWentBack(5, 0), true);
});

t.test("a challenge of another kind, another person's, or another client's is refused", async (t) => {
  const { service, register } = await setUp();
  const device = new SoftAuthenticator();
  await register(device);
  const signInOptions = await service.startAuthentication(client, {});
  const asRegistration = device.register(
    { ...signInOptions, rp: { id: 'acme.example' }, user: { id: 'AAAA' } },
    origin,
  );
  t.equal(
    await refusal(service.finishRegistration(client, 'u1', { response: asRegistration as never }, portal)),
    'passkey_challenge_refused',
    "a sign-in's challenge does not register",
  );
  const forU1 = await service.startRegistration(client, 'u1', {});
  t.equal(
    await refusal(
      service.finishRegistration(
        client,
        'u2',
        { response: new SoftAuthenticator().register(forU1, origin) as never },
        portal,
      ),
    ),
    'passkey_challenge_refused',
    "another person's",
  );
  const options = await service.startAuthentication(client, { userRef: 'u1' });
  t.equal(
    await refusal(
      service.finishAuthentication(
        { ...client, id: 'cl_b' },
        { response: device.authenticate({ ...options, rpId: 'acme.example' }, origin) as never },
        portal,
      ),
    ),
    'passkeys_not_set_up',
    'another client (without a relying party) never reaches it',
  );
});

t.test("a passkey signs in only its person; a user handle that is not the passkey's is refused", async (t) => {
  const { register, signIn, signedIn, events } = await setUp();
  const pat = new SoftAuthenticator();
  await register(pat, 'u1');
  const sam = new SoftAuthenticator();
  await register(sam, 'u2');
  t.equal(await refusal(signIn(sam, { userRef: 'u1' })), 'passkey_refused', "Sam's passkey for Pat");
  const signed = await signIn(pat);
  t.equal(signed.userRef, 'u1', 'usernameless: the passkey says who');
  t.same(signedIn, ['u1'], 'a recovery under way hears of it');
  t.same(decodeJwt(signed.assertion).amr, ['hwk', 'user', 'mfa']);
  pat.userHandle = sam.userHandle;
  t.equal(await refusal(signIn(pat)), 'passkey_refused', "a user handle that is not the passkey's");
  t.ok(events.some((e) => e.type === 'passkey.used'));
});

t.test('a counter going back: recorded and shown, refused where the client says so', async (t) => {
  const lenient = await setUp();
  const device = new SoftAuthenticator();
  await lenient.register(device);
  await lenient.signIn(device);
  await lenient.signIn(device);
  device.counter = 0;
  const back = await lenient.signIn(device);
  t.equal(back.counterWentBack, true);
  t.equal(back.passkey.counter, 2, 'the highest counter seen stays the mark');
  t.ok(back.passkey.counterWentBackAt);
  t.match(
    lenient.events.find((e) => e.type === 'passkey.counter_went_back'),
    { data: { kept: 2, got: 1, refused: false } },
  );

  const strict = await setUp({ counterStrict: true });
  const copied = new SoftAuthenticator();
  await strict.register(copied);
  await strict.signIn(copied);
  copied.counter = 0;
  t.equal(await refusal(strict.signIn(copied)), 'passkey_refused');
  const [kept] = [...strict.rows.values()];
  t.ok(kept!.counterWentBackAt, 'recorded all the same');
  t.equal(kept!.lastUsedAt !== null, true);
  t.ok(strict.events.some((e) => e.type === 'passkey.counter_went_back' && e.data.refused === true));

  const synced = new SoftAuthenticator({ synced: true });
  await lenient.register(synced);
  for (let i = 0; i < 3; i++) t.equal((await lenient.signIn(synced)).counterWentBack, false, 'a synced passkey at 0');
});

t.test('removed: the person is told once, and what stood in for their factors ends', async (t) => {
  const { service, register, notices, factorsChanged } = await setUp();
  const first = await register(new SoftAuthenticator());
  await register(new SoftAuthenticator());
  const before = notices.length;
  await service.remove(client, 'u1', first.id, portal);
  t.equal(notices.length, before + 1, 'one notice');
  t.same(factorsChanged, ['u1'], 'trusted browsers end');
  t.equal(await refusal(service.remove(client, 'u1', first.id, portal)), 'passkey_not_found');
  t.equal(await service.removeAll(client, 'u1', portal), 1, 'the reset takes the rest');
  t.equal(await service.removeAll(client, 'u1', portal), 0);
  t.equal(notices.length, before + 2, 'no notice when nothing went');
});
