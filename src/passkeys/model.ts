// Passkeys (WebAuthn): a key pair made by the person's authenticator for one relying party,
// whose private half never leaves it. A look-alike site gets nothing it can use: the browser
// signs only for the relying party's own origins. mailcode keeps the public half, the sign
// counter and what the authenticator said of itself; the ceremonies are @simplewebauthn's.

/** Where a person's passkey lives, as WebAuthn's flags say: one device, or synced (backup eligible). */
export type PasskeyDeviceType = 'singleDevice' | 'multiDevice';

export interface Passkey {
  id: string;
  clientId: string;
  userRef: string;
  /** The credential id the browser names it by (base64url). */
  credentialId: string;
  /** The WebAuthn user handle of this person (base64url): the same on each of their passkeys. */
  userHandle: string;
  /** The COSE public key (base64url). */
  publicKey: string;
  counter: number;
  transports: string[];
  /** The authenticator's model (a UUID; all zeros when it does not say). */
  aaguid: string;
  deviceType: PasskeyDeviceType;
  backedUp: boolean;
  /** The person's words for it ("Work laptop"); the provider's name until they change it. */
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
  /** When a sign-in last showed a counter lower than the one kept (a cloned key, or a buggy one). */
  counterWentBackAt: number | null;
}

/** A client's relying party: who the passkeys are for, and where they may be used. */
export interface PasskeySettings {
  clientId: string;
  /** The relying-party id: the portal's registrable domain (or `localhost`). */
  rpId: string;
  /** Every origin a ceremony may come from; those outside `rpId` are related origins (`/.well-known/webauthn`). */
  origins: string[];
  /** A passkey may sign a person in alone (usernameless, conditional UI); else only as the second factor. */
  alone: boolean;
  /** The portal signs its people in with a passkey: a trusted browser never stands in for it. */
  required: boolean;
  /** A counter that goes backwards is refused, not only recorded (synced passkeys report 0: leave off). */
  counterStrict: boolean;
}

export type CeremonyKind = 'registration' | 'authentication';

/** A challenge handed to the browser: random, single use, bound to the client (and person), short-lived. */
export interface Challenge {
  /** SHA-256 of the challenge (base64url): the browser's answer names it in its client data. */
  hash: string;
  clientId: string;
  kind: CeremonyKind;
  /** Whose ceremony: null for a usernameless sign-in. */
  userRef: string | null;
  /** At registration, the user handle the new passkey gets. */
  userHandle: string | null;
  createdAt: number;
  expiresAt: number;
}

/** How long a ceremony may take, from the options to the answer. */
export const challengeLifetimeMs = 5 * 60_000;

/** How many passkeys one person may keep. */
export const maxPasskeysPerPerson = 20;

/**
 * RFC 8176 for a passkey: `swk` when its key may be copied between devices (synced, backup
 * eligible), `hwk` when it is bound to one authenticator; `user` when the authenticator
 * verified the person (PIN, fingerprint, face) and not only their presence.
 */
export const passkeyAmr = (p: Pick<Passkey, 'deviceType'>, userVerified: boolean): string[] => [
  p.deviceType === 'multiDevice' ? 'swk' : 'hwk',
  ...(userVerified ? ['user'] : []),
];

/** A counter that went backwards: either is not 0 and the new one is not above the kept one (synced passkeys stay at 0). */
export const counterWentBack = (kept: number, got: number): boolean => (kept > 0 || got > 0) && got <= kept;
