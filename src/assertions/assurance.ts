// What an assertion claims about how strongly the person was authenticated, in words a
// relying party already reads: `amr` holds RFC 8176 values only, and `acr` one of the levels
// below, each for what mailcode itself checked — never what the portal says it checked.

/** The `acr` values mailcode states (docs/AUTHENTICATOR-APPS.md#assurance-claims). */
export const assuranceLevels = {
  /** One factor: the mailbox (a code typed or a continue link), or an app or recovery code alone. */
  oneFactor: 'urn:mailcode:acr:1fa',
  /** Two factors checked by mailcode in one sign-in: the mailbox, then the app or a recovery code. */
  twoFactors: 'urn:mailcode:acr:2fa',
  /** A browser the person trusted stood in for the second factor: no factor was checked now. */
  trustedBrowser: 'urn:mailcode:acr:trusted-browser',
} as const;

export type AssuranceLevel = (typeof assuranceLevels)[keyof typeof assuranceLevels];

/**
 * RFC 8176: `otp` for every one-time secret mailcode checks — a mailed code, a continue
 * link's token, an app's code, a recovery code — and `mfa` beside it when two factors were
 * checked. `verification_method` keeps the finer word (email, email_link, totp, recovery_code).
 */
export function claimsOf(factors: 1 | 2): { amr: string[]; acr: AssuranceLevel } {
  return factors === 2
    ? { amr: ['otp', 'mfa'], acr: assuranceLevels.twoFactors }
    : { amr: ['otp'], acr: assuranceLevels.oneFactor };
}
