// The verification assertion: a JWT that says exactly what was checked, and nothing more.
import { SignJWT } from 'jose';
import type { Verification } from '../store/types.js';
import type { KeyRing } from './keyring.js';

export const assertionType = 'verification+jwt';

export interface AssertionOptions {
  issuer: string;
  ttlSeconds: number;
}

export async function signAssertion(keys: KeyRing, verification: Verification, options: AssertionOptions, nowMs: number) {
  const { kid, privateKey } = keys.signingKey();
  const iat = Math.floor(nowMs / 1000);
  const exp = iat + options.ttlSeconds;
  const token = await new SignJWT({
    email: verification.email,
    email_verified: true,
    purpose: verification.purpose,
    amr: ['otp'],
    verification_method: 'email',
    auth_time: Math.floor((verification.verifiedAt ?? nowMs) / 1000),
  })
    .setProtectedHeader({ alg: 'EdDSA', kid, typ: assertionType })
    .setIssuer(options.issuer)
    .setAudience(verification.clientId)
    .setSubject(verification.email)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .setJti(verification.id)
    .sign(privateKey);
  return { token, expiresAt: new Date(exp * 1000).toISOString() };
}
