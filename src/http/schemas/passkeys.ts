// Passkeys on the wire: the browser's answers as @simplewebauthn/browser hands them over
// (RegistrationResponseJSON, AuthenticationResponseJSON), bounded; the options mailcode
// answers are WebAuthn's own JSON, passed to the browser unchanged.
import { Type } from 'typebox';
import { DateTime, UserRef } from './common.js';

export const PasskeyId = Type.String({ pattern: '^pk_[A-Za-z0-9_-]{1,60}$', maxLength: 64 });
export const PersonPasskeysParams = Type.Object({ userRef: UserRef });
export const PasskeyParams = Type.Object({ userRef: UserRef, id: PasskeyId });

/** base64url, as WebAuthn's JSON encodes bytes; an attestation with certificates stays well under this. */
const Bytes = (maxLength: number) => Type.String({ pattern: '^[A-Za-z0-9_-]*$', maxLength });

const PasskeyName = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^[^\\u0000-\\u001f\\u007f]*[^\\s\\u0000-\\u001f\\u007f][^\\u0000-\\u001f\\u007f]*$',
  description: 'How the person recognises it ("Work laptop"): shown in the lists and the notice.',
});

const Transports = Type.Array(Type.String({ maxLength: 32 }), { maxItems: 10 });

/** What every browser answer carries beside its response. */
const CredentialCommon = {
  id: Bytes(1_400),
  rawId: Bytes(1_400),
  type: Type.Literal('public-key'),
  authenticatorAttachment: Type.Optional(Type.Enum(['platform', 'cross-platform'], { type: 'string' })),
  clientExtensionResults: Type.Object({}, { additionalProperties: true, maxProperties: 20 }),
};

export const RegistrationResponse = Type.Object(
  {
    ...CredentialCommon,
    response: Type.Object(
      {
        clientDataJSON: Bytes(4_000),
        attestationObject: Bytes(10_000),
        authenticatorData: Type.Optional(Bytes(4_000)),
        transports: Type.Optional(Transports),
        publicKeyAlgorithm: Type.Optional(Type.Integer()),
        publicKey: Type.Optional(Bytes(2_000)),
      },
      { additionalProperties: false },
    ),
  },
  {
    additionalProperties: false,
    description: "The browser's answer, as `startRegistration()` of @simplewebauthn/browser returns it.",
  },
);

export const AuthenticationResponse = Type.Object(
  {
    ...CredentialCommon,
    response: Type.Object(
      {
        clientDataJSON: Bytes(4_000),
        authenticatorData: Bytes(4_000),
        signature: Bytes(2_000),
        userHandle: Type.Optional(Bytes(200)),
      },
      { additionalProperties: false },
    ),
  },
  {
    additionalProperties: false,
    description: "The browser's answer, as `startAuthentication()` of @simplewebauthn/browser returns it.",
  },
);

export const StartRegistrationRequest = Type.Object(
  {
    userName: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 254,
        pattern: '^[^\\u0000-\\u001f\\u007f]+$',
        description: "The name the person's passkey manager shows; the address they proved last by default.",
      }),
    ),
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f\\u007f]+$' })),
  },
  { additionalProperties: false },
);

/** WebAuthn's options JSON, for `startRegistration({ optionsJSON })` / `startAuthentication({ optionsJSON })`. */
export const CeremonyOptions = Type.Object(
  {
    options: Type.Object(
      { challenge: Type.String() },
      {
        additionalProperties: true,
        description:
          'PublicKeyCredentialCreationOptionsJSON (registration) or PublicKeyCredentialRequestOptionsJSON (sign-in): hand it to the browser unchanged. Its challenge lives 5 minutes and is used once.',
      },
    ),
  },
  { additionalProperties: false },
);

export const FinishRegistrationRequest = Type.Object(
  { response: RegistrationResponse, name: Type.Optional(PasskeyName) },
  { additionalProperties: false },
);

export const StartAuthenticationRequest = Type.Object(
  {
    userRef: Type.Optional({
      ...UserRef,
      description:
        "The person signing in: their passkeys are offered. Without it, any discoverable passkey of the client's people (usernameless, the browser's autofill) — where the client lets a passkey sign in alone.",
    }),
  },
  { additionalProperties: false },
);

export const FinishAuthenticationRequest = Type.Object(
  {
    response: AuthenticationResponse,
    firstFactor: Type.Optional(
      Type.String({
        maxLength: 4_000,
        description:
          "The person's email assertion of this sign-in: with it the passkey is the second factor (`acr` …:2fa, `amr` with `otp` and `mfa`). Required where the client takes a passkey as the second factor only.",
      }),
    ),
  },
  { additionalProperties: false },
);

export const Passkey = Type.Object(
  {
    id: PasskeyId,
    name: Type.String(),
    provider: Type.Union([Type.String(), Type.Null()], {
      description: 'The passkey provider, from the authenticator\'s AAGUID, where known ("iCloud Keychain").',
    }),
    aaguid: Type.String(),
    deviceType: Type.Enum(['singleDevice', 'multiDevice'], {
      type: 'string',
      description: 'multiDevice: synced between devices (amr `swk`); singleDevice: bound to one authenticator (`hwk`).',
    }),
    backedUp: Type.Boolean(),
    transports: Type.Array(Type.String()),
    createdAt: DateTime,
    lastUsedAt: Type.Union([DateTime, Type.Null()]),
    counterWentBackAt: Type.Union([DateTime, Type.Null()], {
      description: 'When a sign-in last showed a sign counter lower than the one kept (a copied key, or a buggy one).',
    }),
  },
  { additionalProperties: false },
);

export const PasskeyList = Type.Object(
  { passkeys: Type.Array(Passkey, { description: 'Newest first.' }) },
  { additionalProperties: false },
);

export const RenamePasskeyRequest = Type.Object({ name: PasskeyName }, { additionalProperties: false });

export const PasskeySignIn = Type.Object(
  {
    verified: Type.Literal(true),
    method: Type.Literal('passkey'),
    userRef: UserRef,
    assertion: Type.String({
      description:
        "EdDSA JWT: sub and user_ref = the passkey's person, aud = client id, verification_method passkey, passkey = its id, amr `hwk` or `swk` (+ `user` when the authenticator verified the person; `otp` and `mfa` with a first factor), acr urn:mailcode:acr:2fa (a first factor, or the person verified) or …:1fa.",
    }),
    expiresAt: DateTime,
    amr: Type.Array(Type.String()),
    acr: Type.String(),
    counterWentBack: Type.Boolean({
      description:
        'The sign counter went backwards: recorded (`passkey.counter_went_back`), and allowed unless the client refuses it.',
    }),
    passkey: Passkey,
  },
  { additionalProperties: false },
);

export const RelatedOrigins = Type.Object(
  {
    origins: Type.Array(Type.String(), {
      description: 'Serve this object as JSON at `https://{rpId}/.well-known/webauthn` (Related Origin Requests).',
    }),
  },
  { additionalProperties: false },
);
