// Passkeys: registering one for a person, signing in with it (with a user reference, or
// usernameless from the browser's autofill), and the person's list. The ceremonies are
// @simplewebauthn/server's — options, attestation and signature checks, COSE and CBOR — and
// this file holds the rules around them: a challenge is random, single use, bound to its
// client (and person) and lives 5 minutes; a passkey is the second factor, or alone where
// the client allows; a counter that goes back is recorded and shown, refused only where the
// client says so (synced passkeys stay at 0).
import { createHash, randomBytes } from 'node:crypto';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { Logger } from 'pino';
import { type AssertionOptions, signPasskeyAssertion } from '../assertions/assertion.js';
import { provesFirstFactor } from '../assertions/first-factor.js';
import type { KeyRing } from '../assertions/keyring.js';
import type { Client } from '../clients/model.js';
import { event, type EventType, type RequestContext } from '../events/model.js';
import { maskUserRef, type PersonPasskey } from '../people/model.js';
import { doneBy, type NoticeDeps, type NoticeFacts, noticeEvents, queuedNotice } from '../people/notices.js';
import { newId } from '../shared/ids.js';
import { passkeyClaims } from './claims.js';
import {
  type CeremonyKind,
  type Challenge,
  challengeLifetimeMs,
  counterWentBack,
  maxPasskeysPerPerson,
  type Passkey,
  type PasskeySettings,
} from './model.js';
import type { PasskeysPort } from './ports.js';
import { providerOf, unnamedPasskey } from './providers.js';
import { refuse } from './refusals.js';
import type { PasskeySettingsService } from './settings-service.js';

export interface PasskeyServiceDeps {
  passkeys: PasskeysPort;
  /** The client's relying party (settings-service.ts). */
  settings: Pick<PasskeySettingsService, 'of'>;
  keys: KeyRing;
  assertion: AssertionOptions;
  notices: NoticeDeps;
  /** The address the person proved last: the name their passkey manager shows by default. */
  userNameOf(clientId: string, userRef: string): Promise<string | undefined>;
  /** A sign-in with a passkey succeeded: the person still has a factor, so an open recovery by email ends. */
  signedIn?(client: Client, userRef: string, context: RequestContext): Promise<void>;
  /** A passkey was removed: what stood in for the person's factors ends (trusted browsers). */
  factorsChanged?(client: Client, userRef: string, context: RequestContext): Promise<void>;
  now: () => number;
  logger: Logger;
}

/** A passkey as the portal, the person and support see it: never its key or credential id. */
export const shown = (p: Passkey): PersonPasskey => ({
  id: p.id,
  name: p.name,
  provider: providerOf(p.aaguid),
  aaguid: p.aaguid,
  deviceType: p.deviceType,
  backedUp: p.backedUp,
  transports: p.transports,
  createdAt: p.createdAt,
  lastUsedAt: p.lastUsedAt,
  counterWentBackAt: p.counterWentBackAt,
});
export type ShownPasskey = PersonPasskey;

/**
 * @simplewebauthn/server, loaded at the first ceremony: its 0.1 s of loading is not paid by
 * every start of the service and every CLI command, most of which never see a passkey.
 */
let library:
  | Promise<[typeof import('@simplewebauthn/server'), typeof import('@simplewebauthn/server/helpers')]>
  | undefined;
const webauthn = async () => {
  library ??= Promise.all([import('@simplewebauthn/server'), import('@simplewebauthn/server/helpers')]);
  const [server, helpers] = await library;
  return {
    ...server,
    ...helpers,
    /**
     * The key algorithms a passkey may use: EdDSA, ES256, RS256 (the library's own default,
     * named so that it does not probe the runtime for post-quantum ones, which Node 24 answers
     * with an experimental-feature warning on stderr).
     */
    algorithms: [helpers.COSEALG.EdDSA, helpers.COSEALG.ES256, helpers.COSEALG.RS256],
  };
};

const hashChallenge = (challenge: string) => createHash('sha256').update(challenge).digest('base64url');

/** The challenge a browser's answer names in its client data; undefined when it names none legibly. */
async function answeredChallenge(clientDataJSON: string): Promise<string | undefined> {
  const { decodeClientDataJSON } = await webauthn();
  try {
    const challenge = decodeClientDataJSON(clientDataJSON).challenge;
    return typeof challenge === 'string' ? challenge : undefined;
  } catch {
    // Not base64url JSON: no challenge of ours.
    return undefined;
  }
}

export class PasskeyService {
  constructor(private readonly deps: PasskeyServiceDeps) {}

  private event(type: EventType, clientId: string, userRef: string, context: RequestContext, data = {}) {
    return event(type, this.deps.now(), { clientId, subject: userRef }, context, data);
  }

  private settingsOf(client: Client): Promise<PasskeySettings> {
    return this.deps.settings.of(client);
  }

  /** What the portal serves at `https://{rpId}/.well-known/webauthn`, so its other domains share the passkeys. */
  async relatedOrigins(client: Client) {
    const settings = await this.settingsOf(client);
    return { origins: settings.origins };
  }

  private async newChallenge(challenge: Omit<Challenge, 'hash' | 'createdAt' | 'expiresAt'> & { value: string }) {
    const now = this.deps.now();
    const { value, ...rest } = challenge;
    await this.deps.passkeys.addChallenge({
      ...rest,
      hash: hashChallenge(value),
      createdAt: now,
      expiresAt: now + challengeLifetimeMs,
    });
  }

  /** The challenge the answer names, taken (single use): this client's, of this kind, unexpired. */
  private async takeChallenge(client: Client, clientDataJSON: string, kind: CeremonyKind) {
    const value = await answeredChallenge(clientDataJSON);
    const refused = (detail: string) => refuse({ kind: 'passkey_challenge_refused', detail });
    if (value === undefined) throw refused('The answer names no challenge: start the ceremony again.');
    const challenge = await this.deps.passkeys.takeChallenge(client.id, hashChallenge(value));
    if (!challenge || challenge.kind !== kind)
      throw refused('No such challenge: it was used already, or is not one of this client: start the ceremony again.');
    if (this.deps.now() >= challenge.expiresAt) throw refuse({ kind: 'passkey_challenge_expired' });
    return { ...challenge, value };
  }

  /** The options for `navigator.credentials.create`: a new passkey for this person. */
  async startRegistration(client: Client, userRef: string, input: { userName?: string; displayName?: string }) {
    const settings = await this.settingsOf(client);
    const { generateRegistrationOptions, isoBase64URL, algorithms } = await webauthn();
    const existing = await this.deps.passkeys.list(client.id, userRef);
    if (existing.length >= maxPasskeysPerPerson)
      throw refuse({ kind: 'too_many_passkeys', limit: maxPasskeysPerPerson });
    // One user handle per person, so an authenticator replaces its passkey for them instead of adding another.
    const userHandle = existing[0]?.userHandle ?? randomBytes(32).toString('base64url');
    const userName = input.userName ?? (await this.deps.userNameOf(client.id, userRef)) ?? userRef;
    const options = await generateRegistrationOptions({
      rpName: client.name,
      rpID: settings.rpId,
      userName,
      userDisplayName: input.displayName ?? userName,
      userID: isoBase64URL.toBuffer(userHandle),
      challenge: randomBytes(32),
      timeout: challengeLifetimeMs,
      attestationType: 'none',
      supportedAlgorithmIDs: algorithms,
      excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: p.transports })),
      // Discoverable where a passkey may sign in alone (usernameless); else a security key's slots are spared.
      authenticatorSelection: { residentKey: settings.alone ? 'required' : 'preferred', userVerification: 'preferred' },
    });
    await this.newChallenge({
      value: options.challenge,
      clientId: client.id,
      kind: 'registration',
      userRef,
      userHandle,
    });
    return options;
  }

  /** The browser's answer to the registration: the passkey, kept; the person is told. */
  async finishRegistration(
    client: Client,
    userRef: string,
    input: { response: RegistrationResponseJSON; name?: string },
    context: RequestContext,
  ) {
    const settings = await this.settingsOf(client);
    const { verifyRegistrationResponse, isoBase64URL, algorithms } = await webauthn();
    const challenge = await this.takeChallenge(client, input.response.response.clientDataJSON, 'registration');
    if (challenge.userRef !== userRef || !challenge.userHandle)
      throw refuse({ kind: 'passkey_challenge_refused', detail: 'This challenge was made for another person.' });
    const info = await this.verified(() =>
      verifyRegistrationResponse({
        response: input.response,
        expectedChallenge: challenge.value,
        expectedOrigin: settings.origins,
        expectedRPID: settings.rpId,
        requireUserVerification: false,
        supportedAlgorithmIDs: algorithms,
      }),
    );
    const registered = info.registrationInfo;
    if (!registered) throw refuse({ kind: 'passkey_refused', detail: 'The registration does not verify.' });
    if (await this.deps.passkeys.byCredential(client.id, registered.credential.id))
      throw refuse({ kind: 'passkey_refused', detail: 'This passkey is registered already.' });
    if ((await this.deps.passkeys.list(client.id, userRef)).length >= maxPasskeysPerPerson)
      throw refuse({ kind: 'too_many_passkeys', limit: maxPasskeysPerPerson });
    const now = this.deps.now();
    const provider = registered.passkeyProviderMetadata?.friendlyNames?.['en-US'] ?? providerOf(registered.aaguid);
    const passkey: Passkey = {
      id: newId('pk'),
      clientId: client.id,
      userRef,
      credentialId: registered.credential.id,
      userHandle: challenge.userHandle,
      publicKey: isoBase64URL.fromBuffer(registered.credential.publicKey),
      counter: registered.credential.counter,
      transports: registered.credential.transports ?? input.response.response.transports ?? [],
      aaguid: registered.aaguid,
      deviceType: registered.credentialDeviceType,
      backedUp: registered.credentialBackedUp,
      name: input.name?.trim() || (provider ?? unnamedPasskey),
      createdAt: now,
      lastUsedAt: null,
      counterWentBackAt: null,
    };
    const notice = await this.notice(client, userRef, { kind: 'passkey_added', name: passkey.name });
    await this.deps.passkeys.add(
      passkey,
      [
        this.event('passkey.added', client.id, userRef, context, {
          passkeyId: passkey.id,
          name: passkey.name,
          provider,
          deviceType: passkey.deviceType,
          userVerified: registered.userVerified,
        }),
        ...noticeEvents(notice, context),
      ],
      notice,
    );
    if (notice) this.deps.notices.onQueued?.();
    (context.log ?? this.deps.logger).info(
      { client: client.id, userRef: maskUserRef(userRef), passkeyId: passkey.id },
      'passkey added',
    );
    return passkey;
  }

  /**
   * The options for `navigator.credentials.get`: with a user reference, that person's
   * passkeys (an unknown person gets options all the same: nothing says who has passkeys);
   * without one, any discoverable passkey of the client (the browser's autofill).
   */
  async startAuthentication(client: Client, input: { userRef?: string }) {
    const settings = await this.settingsOf(client);
    if (input.userRef === undefined && !settings.alone)
      throw refuse({
        kind: 'first_factor_needed',
        detail:
          "This client takes a passkey as the second factor only: start with the person's userRef, after their email code.",
      });
    const theirs = input.userRef === undefined ? [] : await this.deps.passkeys.list(client.id, input.userRef);
    const { generateAuthenticationOptions } = await webauthn();
    const options = await generateAuthenticationOptions({
      rpID: settings.rpId,
      challenge: randomBytes(32),
      timeout: challengeLifetimeMs,
      userVerification: 'preferred',
      allowCredentials: theirs.map((p) => ({ id: p.credentialId, transports: p.transports })),
    });
    await this.newChallenge({
      value: options.challenge,
      clientId: client.id,
      kind: 'authentication',
      userRef: input.userRef ?? null,
      userHandle: null,
    });
    return options;
  }

  /** The browser's answer to a sign-in: the signed assertion, for the passkey's person. */
  async finishAuthentication(
    client: Client,
    input: { response: AuthenticationResponseJSON; firstFactor?: string },
    context: RequestContext,
  ) {
    const settings = await this.settingsOf(client);
    const { verifyAuthenticationResponse, isoBase64URL } = await webauthn();
    const challenge = await this.takeChallenge(client, input.response.response.clientDataJSON, 'authentication');
    const passkey = await this.deps.passkeys.byCredential(client.id, input.response.id);
    const handle = input.response.response.userHandle;
    if (
      !passkey ||
      (challenge.userRef !== null && passkey.userRef !== challenge.userRef) ||
      (handle !== undefined && handle !== passkey.userHandle)
    )
      throw refuse({ kind: 'passkey_refused', detail: 'No passkey of this person has this id.' });
    const firstFactor = input.firstFactor !== undefined;
    if (
      firstFactor &&
      !(await provesFirstFactor(this.deps.keys, input.firstFactor!, {
        issuer: this.deps.assertion.issuer,
        clientId: client.id,
        userRef: passkey.userRef,
        nowMs: this.deps.now(),
      }))
    )
      throw refuse({ kind: 'first_factor_refused' });
    if (!firstFactor && !settings.alone)
      throw refuse({
        kind: 'first_factor_needed',
        detail:
          "This client takes a passkey as the second factor only: send the person's email assertion as firstFactor.",
      });
    const { authenticationInfo: info } = await this.verified(() =>
      verifyAuthenticationResponse({
        response: input.response,
        expectedChallenge: challenge.value,
        expectedOrigin: settings.origins,
        expectedRPID: settings.rpId,
        // The counter is compared below: going back is recorded, refused only where the client says so.
        credential: {
          id: passkey.credentialId,
          publicKey: isoBase64URL.toBuffer(passkey.publicKey),
          counter: 0,
          transports: passkey.transports as never,
        },
        requireUserVerification: false,
      }),
    );
    const now = this.deps.now();
    const wentBack = counterWentBack(passkey.counter, info.newCounter);
    const events = wentBack
      ? [
          this.event('passkey.counter_went_back', client.id, passkey.userRef, context, {
            passkeyId: passkey.id,
            kept: passkey.counter,
            got: info.newCounter,
            refused: settings.counterStrict,
          }),
        ]
      : [];
    if (wentBack && settings.counterStrict) {
      await this.deps.passkeys.used(
        passkey.id,
        { counter: passkey.counter, lastUsedAt: passkey.lastUsedAt, counterWentBackAt: now },
        events,
      );
      throw refuse({
        kind: 'passkey_refused',
        detail: 'The passkey counter went backwards (a copied key?): this client refuses it. Support can remove it.',
      });
    }
    const claims = passkeyClaims(passkey, { userVerified: info.userVerified, firstFactor });
    events.push(
      this.event('passkey.used', client.id, passkey.userRef, context, {
        passkeyId: passkey.id,
        amr: claims.amr,
        acr: claims.acr,
      }),
    );
    // A counter that went back is not kept: the highest one seen stays the mark a copy must pass.
    const change = {
      counter: wentBack ? passkey.counter : info.newCounter,
      lastUsedAt: now,
      counterWentBackAt: wentBack ? now : passkey.counterWentBackAt,
    };
    if (!(await this.deps.passkeys.used(passkey.id, change, events)))
      throw refuse({ kind: 'passkey_refused', detail: 'This passkey was removed.' });
    await this.deps.signedIn?.(client, passkey.userRef, context);
    const { token, expiresAt } = await signPasskeyAssertion(
      this.deps.keys,
      { clientId: client.id, userRef: passkey.userRef, passkeyId: passkey.id, ...claims },
      this.deps.assertion,
      now,
    );
    return {
      assertion: token,
      expiresAt,
      userRef: passkey.userRef,
      claims,
      counterWentBack: wentBack,
      passkey: { ...passkey, ...change },
    };
  }

  /** The library's verdict; what it refuses (origin, relying party, signature, flags) is said in its words. */
  private async verified<T extends { verified: boolean }>(verify: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await verify();
    } catch (error) {
      throw refuse({ kind: 'passkey_refused', detail: (error as Error).message.slice(0, 300) });
    }
    if (!result.verified) throw refuse({ kind: 'passkey_refused', detail: 'The signature does not verify.' });
    return result;
  }

  async list(client: Client, userRef: string): Promise<ShownPasskey[]> {
    return (await this.deps.passkeys.list(client.id, userRef)).map(shown);
  }

  async rename(client: Client, userRef: string, id: string, name: string, context: RequestContext) {
    const renamed = await this.deps.passkeys.rename(client.id, userRef, id, name.trim(), [
      this.event('passkey.renamed', client.id, userRef, context, { passkeyId: id, name: name.trim() }),
    ]);
    if (!renamed) throw refuse({ kind: 'passkey_not_found' });
    return shown(renamed);
  }

  /** The portal's or support's removal of one passkey; the person is told. */
  async remove(client: Client, userRef: string, id: string, context: RequestContext): Promise<void> {
    const removed = await this.removeSome(client, userRef, context, id);
    if (removed.length === 0) throw refuse({ kind: 'passkey_not_found' });
  }

  /** Every passkey of the person goes (support's reset): how many. */
  async removeAll(client: Client, userRef: string, context: RequestContext): Promise<number> {
    return (await this.removeSome(client, userRef, context)).length;
  }

  private async removeSome(client: Client, userRef: string, context: RequestContext, id?: string) {
    const by = doneBy(context.actor);
    const going = (await this.deps.passkeys.list(client.id, userRef)).filter((p) => id === undefined || p.id === id);
    if (going.length === 0) return [];
    // The notice names what goes; it is queued only if the transaction still finds them.
    const notice = await this.notice(client, userRef, { kind: 'passkey_removed', names: going.map((p) => p.name), by });
    const removed = await this.deps.passkeys.remove(
      client.id,
      userRef,
      (gone) => [
        ...gone.map((p) =>
          this.event('passkey.removed', client.id, userRef, context, { passkeyId: p.id, name: p.name, by }),
        ),
        ...noticeEvents(notice, context),
      ],
      notice,
      id,
    );
    if (removed.length > 0) {
      if (notice) this.deps.notices.onQueued?.();
      await this.deps.factorsChanged?.(client, userRef, context);
      (context.log ?? this.deps.logger).info(
        { client: client.id, userRef: maskUserRef(userRef), removed: removed.length, by },
        'passkeys removed',
      );
    }
    return removed;
  }

  private notice(client: Client, userRef: string, facts: NoticeFacts) {
    return queuedNotice(this.deps.notices, client, userRef, facts, this.deps.now());
  }
}
