// What the passkey ceremonies refuse. A refused ceremony says only which rule it broke: an
// answer from another origin, a challenge used, expired or another client's, a passkey
// unknown — never whose passkey it was.
import { totpRefusals } from '../totp/refusals.js';
import { type InvalidRequest, invalidRequest, type RefusalTable, refuser } from '../shared/domain-error.js';

export type PasskeyRefusal =
  | InvalidRequest
  /** The client has no relying party: `mailcode clients passkeys` or the console sets one. */
  | { kind: 'passkeys_not_set_up' }
  /** Unknown, used, or another client's challenge: start the ceremony again. */
  | { kind: 'passkey_challenge_refused'; detail: string }
  | { kind: 'passkey_challenge_expired' }
  /** The browser's answer does not verify (origin, relying party, signature, flags), or names no passkey of this person. */
  | { kind: 'passkey_refused'; detail: string }
  /** The client takes a passkey as the second factor only: the person's email assertion comes with it. */
  | { kind: 'first_factor_needed'; detail: string }
  /** The `firstFactor` sent is not an unexpired email assertion of this person (the same words as the app's). */
  | { kind: 'first_factor_refused' }
  | { kind: 'passkey_not_found' }
  | { kind: 'too_many_passkeys'; limit: number };

export const passkeyRefusals: RefusalTable<PasskeyRefusal> = {
  invalid_request: invalidRequest,
  passkeys_not_set_up: {
    status: 409,
    title: 'Passkeys not set up',
    means: 'the client has no relying party yet: set its id and origins (`mailcode clients passkeys`, or the console)',
    detail: () => 'Passkeys are not set up for this client: set its relying-party id and origins first.',
  },
  passkey_challenge_refused: {
    status: 422,
    title: 'Passkey challenge refused',
    means: "the answer's challenge is unknown, already used, or another client's (a replayed answer): start again",
  },
  passkey_challenge_expired: {
    status: 422,
    title: 'Passkey challenge expired',
    means: 'the ceremony took longer than 5 minutes: start again',
    detail: () => 'The ceremony took longer than 5 minutes; start it again.',
  },
  passkey_refused: {
    status: 422,
    title: 'Passkey refused',
    means:
      "the browser's answer does not verify (another origin or relying party, a bad signature, a counter that went back where the client refuses it) or names no passkey of this person",
  },
  first_factor_needed: {
    status: 422,
    title: 'First factor needed',
    means:
      "this client takes a passkey as the second factor only: send the person's email assertion as `firstFactor` (and a `userRef` to start)",
  },
  first_factor_refused: totpRefusals.first_factor_refused,
  passkey_not_found: {
    status: 404,
    title: 'Passkey not found',
    means: 'no such passkey for this person',
    detail: () => 'No such passkey for this user reference.',
  },
  too_many_passkeys: {
    status: 409,
    title: 'Too many passkeys',
    means: 'the person has as many passkeys as one may keep (20): remove one first',
    detail: (r) => `This person already has ${r.limit} passkeys; remove one first.`,
    extra: (r) => ({ limit: r.limit }),
  },
};

export const refuse = refuser(passkeyRefusals);
