// A second factor's request may carry the first: the email assertion mailcode signed for
// the same person moments before. Checked here with mailcode's own keys, it lets the app's
// assertion say two factors (`acr` 2fa, `amr` with `mfa`) — because mailcode checked both.
import { createLocalJWKSet, jwtVerify } from 'jose';
import { assertionType } from './assertion.js';
import type { KeyRing } from './keyring.js';

/**
 * Whether `token` is an unexpired email assertion of mailcode (`issuer`) for this client
 * and this person (`user_ref`): a code or link sent with the person's user reference.
 */
export async function provesFirstFactor(
  keys: KeyRing,
  token: string,
  expected: { issuer: string; clientId: string; userRef: string; nowMs: number },
): Promise<boolean> {
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet({ keys: keys.publicKeys() }), {
      issuer: expected.issuer,
      audience: expected.clientId,
      typ: assertionType,
      algorithms: ['EdDSA'],
      requiredClaims: ['exp', 'jti'],
      currentDate: new Date(expected.nowMs),
    });
    return (
      payload.email_verified === true &&
      (payload.verification_method === 'email' || payload.verification_method === 'email_link') &&
      payload.user_ref === expected.userRef
    );
  } catch {
    // Any token that does not verify proves nothing: the request is refused as such.
    return false;
  }
}
