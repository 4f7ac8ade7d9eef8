// The verification assertion: a JWT that says exactly what was checked, and nothing more.
import { SignJWT, type JWTPayload } from 'jose';
import { newId } from '../shared/ids.js';
import { type AssuranceLevel, assuranceLevels, claimsOf } from './assurance.js';
import type { KeyRing } from './keyring.js';

export const assertionType = 'verification+jwt';

export interface AssertionOptions {
  issuer: string;
  ttlSeconds: number;
}

interface Registered {
  audience: string;
  subject: string;
  jti: string;
}

async function sign(
  keys: KeyRing,
  claims: JWTPayload,
  registered: Registered,
  options: AssertionOptions,
  nowMs: number,
) {
  const { kid, privateKey } = keys.signingKey();
  const iat = Math.floor(nowMs / 1000);
  const exp = iat + options.ttlSeconds;
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', kid, typ: assertionType })
    .setIssuer(options.issuer)
    .setAudience(registered.audience)
    .setSubject(registered.subject)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .setJti(registered.jti)
    .sign(privateKey);
  return { token, expiresAt: exp * 1000 };
}

/** What an email assertion states about a verification that a right code used. */
export interface VerifiedEmail {
  id: string;
  clientId: string;
  email: string;
  purpose: string;
  verifiedAt: number | null;
  /** The code typed (the default), or the continue link clicked. */
  verifiedWith?: 'code' | 'link' | null;
  /** The person the code was sent for (people/): the `user_ref` claim. */
  userRef?: string | null;
}

/**
 * What proved the address, honestly: one factor (assurance.ts), and the finer word — a typed
 * code is `verification_method: "email"`; a clicked continue link is `"email_link"`, with
 * `same_browser`: whether the browser that clicked was the one that asked (false only where
 * the client allows its links in any browser).
 */
function method(verification: VerifiedEmail, sameBrowser: boolean | undefined) {
  if (verification.verifiedWith !== 'link') return { ...claimsOf(1), verification_method: 'email' };
  return { ...claimsOf(1), verification_method: 'email_link', same_browser: sameBrowser ?? false };
}

export function signAssertion(
  keys: KeyRing,
  verification: VerifiedEmail,
  options: AssertionOptions,
  nowMs: number,
  sameBrowser?: boolean,
) {
  const claims = {
    email: verification.email,
    email_verified: true,
    purpose: verification.purpose,
    ...method(verification, sameBrowser),
    auth_time: Math.floor((verification.verifiedAt ?? nowMs) / 1000),
    // The same claim as an authenticator's assertion: one person, whatever proved them.
    ...(verification.userRef ? { user_ref: verification.userRef } : {}),
  };
  return sign(
    keys,
    claims,
    { audience: verification.clientId, subject: verification.email, jti: verification.id },
    options,
    nowMs,
  );
}

export type SecondFactorMethod = 'totp' | 'recovery_code';

/**
 * An assertion about a person of the portal (no address): the subject and `user_ref` are the
 * portal's user reference — the claim an email assertion of the person carries too — signed now.
 */
function signForPerson(
  keys: KeyRing,
  person: { clientId: string; userRef: string },
  claims: JWTPayload,
  options: AssertionOptions,
  nowMs: number,
) {
  return sign(
    keys,
    { ...claims, auth_time: Math.floor(nowMs / 1000), user_ref: person.userRef },
    { audience: person.clientId, subject: person.userRef, jti: newId('as') },
    options,
    nowMs,
  );
}

/**
 * The assertion of an authenticator-app code (or a recovery code): `verification_method`
 * says which of the two was shown. Two factors (`acr` 2fa, `amr` with `mfa`) when mailcode
 * also checked the person's email assertion in this sign-in (first-factor.ts); one otherwise.
 */
export function signSecondFactorAssertion(
  keys: KeyRing,
  subject: { clientId: string; userRef: string; method: SecondFactorMethod; factors: 1 | 2 },
  options: AssertionOptions,
  nowMs: number,
) {
  return signForPerson(
    keys,
    subject,
    { ...claimsOf(subject.factors), verification_method: subject.method },
    options,
    nowMs,
  );
}

/**
 * A trusted browser stood in for the second factor (trusted-browsers/): `acr` says so, `amr`
 * is empty — no method was performed now, and RFC 8176 has no word for "remembered" — and
 * `trusted_browser` names the browser.
 */
export function signTrustedBrowserAssertion(
  keys: KeyRing,
  subject: { clientId: string; userRef: string; trustedBrowserId: string },
  options: AssertionOptions,
  nowMs: number,
) {
  const claims = {
    amr: [],
    acr: assuranceLevels.trustedBrowser,
    verification_method: 'trusted_browser',
    trusted_browser: subject.trustedBrowserId,
  };
  return signForPerson(keys, subject, claims, options, nowMs);
}

/**
 * A passkey signed the person in (passkeys/): `verification_method` passkey, `passkey` names
 * it, `amr` and `acr` as passkeys/claims.ts reads what the authenticator and mailcode checked.
 */
export function signPasskeyAssertion(
  keys: KeyRing,
  subject: { clientId: string; userRef: string; passkeyId: string; amr: string[]; acr: AssuranceLevel },
  options: AssertionOptions,
  nowMs: number,
) {
  const claims = { amr: subject.amr, acr: subject.acr, verification_method: 'passkey', passkey: subject.passkeyId };
  return signForPerson(keys, subject, claims, options, nowMs);
}
