// mailcode/client's passkeys: register, list, rename, sign in (by user reference and
// usernameless), the related origins, remove — and the typed errors a portal branches on.
import {
  FirstFactorNeededError,
  MailcodeClient,
  PasskeyChallengeError,
  PasskeyNotFoundError,
  PasskeyRefusedError,
  PasskeysNotSetUpError,
  TooManyPasskeysError,
} from '../../src/sdk/index.js';
import { build, byPortal } from '../helpers/build.js';
import { onEachDatabase } from '../helpers/databases.js';
import { SoftAuthenticator } from '../helpers/soft-authenticator.js';

const origin = 'http://localhost:4100';

await onEachDatabase(async (t) => {
  t.test('the typed client: passkeys, and their refusals as classes', async (t) => {
    const { app, createClient } = await build(t);
    const acme = await createClient();
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const client = new MailcodeClient({ baseUrl: address, apiKey: acme.apiKey });
    t.type(await client.startPasskeySignIn().catch((e: unknown) => e), PasskeysNotSetUpError, 'not set up yet');
    await app.mailcode.passkeySettings.setUp(
      acme,
      { rpId: 'localhost', origins: [origin, 'https://acme-portal.example'], alone: false },
      byPortal,
    );
    t.same(await client.passkeyRelatedOrigins(), { origins: [origin, 'https://acme-portal.example'] });

    const device = new SoftAuthenticator();
    const options = await client.startPasskeyRegistration('u-1', { userName: 'pat@acme.example' });
    t.match(options, { rp: { id: 'localhost', name: 'Acme Portal' }, user: { name: 'pat@acme.example' } });
    const passkey = await client.finishPasskeyRegistration('u-1', device.register(options as never, origin) as never, {
      name: 'Laptop',
    });
    t.match(passkey, { id: /^pk_/, name: 'Laptop', deviceType: 'singleDevice' });
    t.same(
      (await client.listPasskeys('u-1')).map((p) => p.name),
      ['Laptop'],
    );
    t.equal((await client.renamePasskey('u-1', passkey.id, 'Work laptop')).name, 'Work laptop');

    t.type(await client.startPasskeySignIn().catch((e: unknown) => e), FirstFactorNeededError, 'second factor only');
    const signInOptions = await client.startPasskeySignIn({ userRef: 'u-1' });
    const answer = device.authenticate(signInOptions as never, origin) as never;
    t.type(await client.finishPasskeySignIn(answer).catch((e: unknown) => e), FirstFactorNeededError);
    t.type(
      await client.finishPasskeySignIn(answer).catch((e: unknown) => e),
      PasskeyChallengeError,
      'its challenge was used by the refused try',
    );
    const fromElsewhere = device.authenticate(
      (await client.startPasskeySignIn({ userRef: 'u-1' })) as never,
      'http://localhost:6666',
    ) as never;
    await app.mailcode.passkeySettings.setUp(acme, { alone: true }, byPortal);
    const refused = await client.finishPasskeySignIn(fromElsewhere).catch((e: unknown) => e);
    t.type(refused, PasskeyRefusedError, 'another origin');
    const signedIn = await client.finishPasskeySignIn(
      device.authenticate((await client.startPasskeySignIn()) as never, origin) as never,
    );
    t.match(signedIn, { verified: true, method: 'passkey', userRef: 'u-1', acr: 'urn:mailcode:acr:2fa' });

    await client.removePasskey('u-1', passkey.id);
    t.type(await client.removePasskey('u-1', passkey.id).catch((e: unknown) => e), PasskeyNotFoundError);
    t.ok(TooManyPasskeysError, 'a class for the limit too');
  });
});
