// What a right code or link proves for a person (src/people/): written in the same
// transaction as the verification it comes from.
import type { Verification, Purpose } from './model.js';

/** An address proven for a person by a right code or link, in the same write as the verification. */
export interface ProvenAddress {
  clientId: string;
  userRef: string;
  email: string;
  purpose: Purpose;
  provenAt: number;
  verificationId: string;
}

/** What a right code proved, when the portal's verification was sent for a person (a recovery's proves nothing new). */
export const provenBy = (
  verification: Pick<Verification, 'id' | 'clientId' | 'email' | 'purpose' | 'userRef'>,
  now: number,
): ProvenAddress | null =>
  verification.userRef === null || verification.purpose === 'recovery'
    ? null
    : {
        clientId: verification.clientId,
        userRef: verification.userRef,
        email: verification.email,
        purpose: verification.purpose,
        provenAt: now,
        verificationId: verification.id,
      };
