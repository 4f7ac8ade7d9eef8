// What a passkey sign-in's assertion claims (assertions/assurance.ts has the levels).
// A passkey with the person verified by the authenticator (PIN, fingerprint, face) is two
// factors in one — something held and something known or been (NIST SP 800-63B's
// multi-factor cryptographic authenticator) — and so is a passkey after the person's email
// assertion of this sign-in. Without either, one factor: the key alone.
import { type AssuranceLevel, assuranceLevels } from '../assertions/assurance.js';
import { type Passkey, passkeyAmr } from './model.js';

export function passkeyClaims(
  passkey: Pick<Passkey, 'deviceType'>,
  checked: { userVerified: boolean; firstFactor: boolean },
): { amr: string[]; acr: AssuranceLevel } {
  const amr = [...(checked.firstFactor ? ['otp'] : []), ...passkeyAmr(passkey, checked.userVerified)];
  return checked.firstFactor || checked.userVerified
    ? { amr: [...amr, 'mfa'], acr: assuranceLevels.twoFactors }
    : { amr, acr: assuranceLevels.oneFactor };
}
