// The portal side of mailcode: a typed client for the API and a verifier for its
// assertions. Import it as `mailcode/client`.
import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { SecondFactorVerified, TotpEnrollment, TotpStatus } from '../http/schemas/totp.js';
import type {
  SendCodeRequest,
  SendCodeResponse,
  Verification,
  VerifyCodeRequest,
  VerifyCodeResponse,
  VerifyLinkRequest,
} from '../http/schemas/verification.js';
import type { Event, EventList } from '../http/schemas/events.js';
import type { Suppression } from '../http/schemas/suppressions.js';
import type { Person } from '../http/schemas/people.js';
import type { Recovery } from '../http/schemas/recoveries.js';
import type {
  TrustedBrowser as TrustedBrowserSchema,
  TrustedBrowserCreated as TrustedBrowserCreatedSchema,
  TrustedSignIn as TrustedSignInSchema,
} from '../http/schemas/trusted-browsers.js';
import type {
  CeremonyOptions,
  Passkey as PasskeySchema,
  PasskeySignIn as PasskeySignInSchema,
  RegistrationResponse,
  AuthenticationResponse,
} from '../http/schemas/passkeys.js';
import type { Static } from 'typebox';
import { errorFor, MailcodeError, type Problem } from './errors.js';

export * from './errors.js';
export * from './webhooks.js';
export * from './delivery.js';

// The API's shapes come from the server's TypeBox schemas, the one source of the contract;
// type-only imports, so the client loads no server code at run time.
export type Purpose = NonNullable<SendCodeRequest['purpose']>;
export type { SendCodeRequest, VerifyCodeRequest, VerifyLinkRequest };
export type SendCodeResult = SendCodeResponse;
export type VerifyCodeResult = VerifyCodeResponse;
export type VerificationState = Verification;
export type { TotpEnrollment, TotpStatus };
export type SecondFactorResult = SecondFactorVerified;
export type { Event as MailcodeEvent, EventList, Person, Recovery, Suppression };
export type TrustedBrowser = Static<typeof TrustedBrowserSchema>;
export type TrustedBrowserCreated = Static<typeof TrustedBrowserCreatedSchema>;
export type TrustedSignIn = Static<typeof TrustedSignInSchema>;
export type EventType = Event['type'];
export type Passkey = Static<typeof PasskeySchema>;
export type PasskeySignIn = Static<typeof PasskeySignInSchema>;
/** WebAuthn's options JSON: hand it to `startRegistration({ optionsJSON })` / `startAuthentication({ optionsJSON })`. */
export type PasskeyOptions = Static<typeof CeremonyOptions>['options'];
/** What `startRegistration()` of @simplewebauthn/browser resolves to. */
export type PasskeyRegistrationResponse = Static<typeof RegistrationResponse>;
/** What `startAuthentication()` of @simplewebauthn/browser resolves to. */
export type PasskeyAuthenticationResponse = Static<typeof AuthenticationResponse>;

export interface MailcodeClientOptions {
  /** Where mailcode listens, e.g. https://mailcode.internal.example */
  baseUrl: string;
  apiKey: string;
  /** Per-request timeout; default 10 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export class MailcodeClient {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: MailcodeClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? fetch;
  }

  /** Mails a code (or, within the cooldown rules, another code for the pending verification). */
  sendCode(input: SendCodeRequest): Promise<SendCodeResult> {
    return this.request('POST', '/send-code', input);
  }

  /** Checks a code; resolves with the signed assertion, or rejects with a typed error. */
  verifyCode(input: VerifyCodeRequest): Promise<VerifyCodeResult> {
    return this.request('POST', '/verify-code', input);
  }

  /**
   * Uses a continue link (the token after `#mc=`, read by the portal's page on a click) with
   * the binding of the browser that clicked. Rejects with DifferentBrowserError elsewhere
   * (a mail scanner, another device): nothing is used up, the code still works.
   */
  verifyLink(input: VerifyLinkRequest): Promise<VerifyCodeResult> {
    return this.request('POST', '/verify-link', input);
  }

  getVerification(id: string): Promise<VerificationState> {
    return this.request('GET', `/verifications/${encodeURIComponent(id)}`);
  }

  async cancelVerification(id: string): Promise<void> {
    await this.request('DELETE', `/verifications/${encodeURIComponent(id)}`);
  }

  /** Starts enrolling an authenticator app: show qrSvg and the secret, then confirm a code. */
  enrollTotp(input: { userRef: string; accountName: string }): Promise<TotpEnrollment> {
    return this.request('POST', '/totp/enrollments', input);
  }

  /** Activates the enrolment; the recovery codes are shown to the user once, here. */
  confirmTotp(enrollmentId: string, code: string): Promise<{ enabled: true; recoveryCodes: string[] }> {
    return this.request('POST', `/totp/enrollments/${encodeURIComponent(enrollmentId)}/confirm`, { code });
  }

  /** `firstFactor`: the person's email assertion of this sign-in — the answer then says two factors. */
  verifyTotp(input: { userRef: string; code: string; firstFactor?: string }): Promise<SecondFactorResult> {
    return this.request('POST', '/totp/verify', input);
  }

  recoverTotp(input: { userRef: string; recoveryCode: string; firstFactor?: string }): Promise<SecondFactorResult> {
    return this.request('POST', '/totp/recover', input);
  }

  /** A person of the portal: the addresses proven for their user reference, and their authenticator app. */
  getPerson(userRef: string): Promise<Person> {
    return this.request('GET', `/people/${encodeURIComponent(userRef)}`);
  }

  /**
   * The person lost their authenticator: mails a code to the address they proved, to start
   * a recovery. The same answer (and no mail) for a person without an authenticator or a
   * proven address. Rejects with RecoveryPendingError while another is open.
   */
  startRecovery(userRef: string, input: { locale?: string; endUserIp?: string } = {}): Promise<Recovery> {
    return this.request('POST', `${this.recoveries(userRef)}`, input);
  }

  /** The code from the recovery mail: a right one starts the waiting period (`completesAt`). */
  confirmRecovery(userRef: string, recoveryId: string, code: string, endUserIp?: string): Promise<Recovery> {
    return this.request(
      'POST',
      `${this.recoveries(userRef)}/${encodeURIComponent(recoveryId)}/confirm`,
      endUserIp === undefined ? { code } : { code, endUserIp },
    );
  }

  getRecovery(userRef: string, recoveryId: string): Promise<Recovery> {
    return this.request('GET', `${this.recoveries(userRef)}/${encodeURIComponent(recoveryId)}`);
  }

  /** The person's recoveries, newest first: an open one (code_sent or waiting) comes first. */
  async listRecoveries(userRef: string): Promise<Recovery[]> {
    return (await this.request<{ recoveries: Recovery[] }>('GET', this.recoveries(userRef))).recoveries;
  }

  cancelRecovery(userRef: string, recoveryId: string): Promise<Recovery> {
    return this.request('POST', `${this.recoveries(userRef)}/${encodeURIComponent(recoveryId)}/cancel`);
  }

  /**
   * After a full sign-in: trust this browser (`browserBinding` of its cookie, as for continue
   * links). Keep the token in the browser; it is shown once.
   */
  trustBrowser(userRef: string, input: { browserBinding: string; label: string }): Promise<TrustedBrowserCreated> {
    return this.request('POST', `/people/${encodeURIComponent(userRef)}/trusted-browsers`, input);
  }

  /**
   * At a sign-in: the browser's token stands in for the second factor. Keep the answer's
   * `token` in place of the old one. TrustedBrowserRefusedError: ask for the second factor;
   * EmailProofNeededError: send a code first.
   */
  signInTrustedBrowser(userRef: string, input: { token: string; browserBinding: string }): Promise<TrustedSignIn> {
    return this.request('POST', `/people/${encodeURIComponent(userRef)}/trusted-browser-sign-ins`, input);
  }

  async listTrustedBrowsers(userRef: string): Promise<TrustedBrowser[]> {
    return (
      await this.request<{ trustedBrowsers: TrustedBrowser[] }>(
        'GET',
        `/people/${encodeURIComponent(userRef)}/trusted-browsers`,
      )
    ).trustedBrowsers;
  }

  /** One browser, or — without `id` — every one of the person's. */
  async revokeTrustedBrowsers(userRef: string, id?: string): Promise<void> {
    const path = `/people/${encodeURIComponent(userRef)}/trusted-browsers`;
    await this.request('DELETE', id === undefined ? path : `${path}/${encodeURIComponent(id)}`);
  }

  /**
   * The options for a new passkey of the person: fetch them before the click and start the
   * browser's ceremony straight from it (Safari drops one started after a fetch).
   */
  async startPasskeyRegistration(
    userRef: string,
    input: { userName?: string; displayName?: string } = {},
  ): Promise<PasskeyOptions> {
    return (await this.request<{ options: PasskeyOptions }>('POST', `${this.passkeys(userRef)}/registrations`, input))
      .options;
  }

  /** The browser's answer: the passkey, kept (PasskeyRefusedError, PasskeyChallengeError otherwise). */
  finishPasskeyRegistration(
    userRef: string,
    response: PasskeyRegistrationResponse,
    options: { name?: string } = {},
  ): Promise<Passkey> {
    return this.request('POST', `${this.passkeys(userRef)}/registrations/finish`, { response, ...options });
  }

  async listPasskeys(userRef: string): Promise<Passkey[]> {
    return (await this.request<{ passkeys: Passkey[] }>('GET', this.passkeys(userRef))).passkeys;
  }

  renamePasskey(userRef: string, id: string, name: string): Promise<Passkey> {
    return this.request('PATCH', `${this.passkeys(userRef)}/${encodeURIComponent(id)}`, { name });
  }

  async removePasskey(userRef: string, id: string): Promise<void> {
    await this.request('DELETE', `${this.passkeys(userRef)}/${encodeURIComponent(id)}`);
  }

  /**
   * The options for a passkey sign-in: the person's passkeys with `userRef`, or — without it,
   * where the client lets a passkey sign in alone — any (usernameless, the browser's autofill).
   */
  async startPasskeySignIn(input: { userRef?: string } = {}): Promise<PasskeyOptions> {
    return (await this.request<{ options: PasskeyOptions }>('POST', '/passkeys/authentications', input)).options;
  }

  /** The browser's answer: the assertion of the passkey's person (`userRef`); `firstFactor` makes it two factors. */
  finishPasskeySignIn(
    response: PasskeyAuthenticationResponse,
    options: { firstFactor?: string } = {},
  ): Promise<PasskeySignIn> {
    return this.request('POST', '/passkeys/authentications/finish', { response, ...options });
  }

  /** What to serve at `https://{rpId}/.well-known/webauthn` when the portal runs on several domains. */
  passkeyRelatedOrigins(): Promise<{ origins: string[] }> {
    return this.request('GET', '/passkeys/related-origins');
  }

  private passkeys(userRef: string) {
    return `/people/${encodeURIComponent(userRef)}/passkeys`;
  }

  private recoveries(userRef: string) {
    return `/people/${encodeURIComponent(userRef)}/recoveries`;
  }

  totpStatus(userRef: string): Promise<TotpStatus> {
    return this.request('GET', `/totp/${encodeURIComponent(userRef)}`);
  }

  /** Support's reset (a lost phone). */
  async resetTotp(userRef: string): Promise<void> {
    await this.request('DELETE', `/totp/${encodeURIComponent(userRef)}`);
  }

  regenerateRecoveryCodes(userRef: string): Promise<{ recoveryCodes: string[] }> {
    return this.request('POST', `/totp/${encodeURIComponent(userRef)}/recovery-codes`);
  }

  /** The client's own audit trail, newest first; pass `nextCursor` back as `cursor` for older events. */
  listEvents(
    query: { types?: EventType[]; subject?: string; cursor?: string; limit?: number } = {},
  ): Promise<EventList> {
    const params = new URLSearchParams();
    if (query.types?.length) params.set('type', query.types.join(','));
    if (query.subject !== undefined) params.set('subject', query.subject);
    if (query.cursor !== undefined) params.set('cursor', query.cursor);
    if (query.limit !== undefined) params.set('limit', String(query.limit));
    const search = params.toString();
    return this.request('GET', `/events${search ? `?${search}` : ''}`);
  }

  /** Addresses this client's mail bounced from: no code is sent to them until `until`. */
  async listSuppressions(): Promise<Suppression[]> {
    return (await this.request<{ suppressions: Suppression[] }>('GET', '/suppressions')).suppressions;
  }

  /** Lets codes go to the address again (rejects with SuppressionNotFoundError when it is not suppressed). */
  async liftSuppression(email: string): Promise<void> {
    await this.request('DELETE', `/suppressions/${encodeURIComponent(email)}`);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.fetchImpl(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.options.apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
    });
    if (response.status === 204) return undefined as T;
    const payload = (await response.json().catch(() => ({}))) as unknown;
    if (!response.ok) {
      const problem = payload as Partial<Problem>;
      throw errorFor({
        type: problem.type ?? 'about:blank',
        title: problem.title ?? response.statusText,
        status: response.status,
        detail: problem.detail ?? `mailcode answered ${response.status}`,
        code: problem.code ?? 'internal_error',
        ...problem,
      });
    }
    return payload as T;
  }
}

/** Remembers the `jti`s already used, so one assertion logs in once. */
export interface ReplayStore {
  /** Records the jti; resolves false when it was already there. */
  remember(jti: string, expiresAt: Date): Promise<boolean> | boolean;
}

/** A ReplayStore in memory, for one portal process; entries leave when their token expires. */
export class MemoryReplayStore implements ReplayStore {
  private readonly seen = new Map<string, number>();
  constructor(private readonly now: () => number = Date.now) {}
  remember(jti: string, expiresAt: Date): boolean {
    const now = this.now();
    for (const [key, until] of this.seen) if (until <= now) this.seen.delete(key);
    if (this.seen.has(jti)) return false;
    this.seen.set(jti, expiresAt.getTime());
    return true;
  }
}

/**
 * What an assertion says of how strongly the person was authenticated (`acr`), for what
 * mailcode itself checked: one factor, or two in one sign-in (an email assertion passed as
 * `firstFactor` to verifyTotp or recoverTotp). docs/AUTHENTICATOR-APPS.md has the table.
 */
export const assuranceLevels = {
  oneFactor: 'urn:mailcode:acr:1fa',
  twoFactors: 'urn:mailcode:acr:2fa',
  /** A browser the person trusted stood in for the second factor (no factor checked now). */
  trustedBrowser: 'urn:mailcode:acr:trusted-browser',
} as const;
export type AssuranceLevel = (typeof assuranceLevels)[keyof typeof assuranceLevels];

export interface VerificationClaims extends JWTPayload {
  email: string;
  email_verified: true;
  purpose: Purpose;
  /** RFC 8176 values only: ["otp"]. */
  amr: string[];
  acr: AssuranceLevel;
  /** email: the code was typed; email_link: the continue link was clicked. */
  verification_method: 'email' | 'email_link';
  /** For a link: whether the browser that clicked was the one that asked. */
  same_browser?: boolean;
  auth_time: number;
  jti: string;
  /** The person the code was sent for (`userRef` of sendCode), when the portal named one. */
  user_ref?: string;
}

export interface VerifyAssertionOptions {
  /** mailcode's PUBLIC_URL (the `iss`). */
  issuer: string;
  /** Your client id (the `aud`). */
  audience: string;
  purpose?: Purpose;
  email?: string;
  /** The person the code must have been sent for (its `user_ref`): refused for anyone else, or no one. */
  userRef?: string;
  /** Defaults to `${issuer}/.well-known/jwks.json`. */
  jwksUrl?: string;
  replayStore?: ReplayStore;
  /** Seconds of clock skew to tolerate between mailcode and the portal (default 5). */
  clockToleranceSeconds?: number;
  /** The levels accepted (`acr`): an assertion of any other is refused, e.g. `[assuranceLevels.twoFactors]`. */
  acr?: AssuranceLevel[];
  /** The time to check `exp` against (tests); default now. */
  currentDate?: Date;
}

/**
 * A browser's binding for continue links: make a random secret per browser (`newBrowserSecret`),
 * keep it in an HttpOnly cookie, and pass `browserBinding(secret)` to sendCode and verifyLink.
 */
export const newBrowserSecret = (): string => randomBytes(32).toString('base64url');
export const browserBinding = (secret: string): string => createHash('sha256').update(secret).digest('base64url');

const jwksCache = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

export class AssertionError extends Error {
  override name = 'AssertionError';
}

/** The checks every assertion gets: signature (cached JWKS), iss, aud, typ, exp, then replay. */
async function verifySigned<T extends JWTPayload & { jti: string }>(
  token: string,
  options: Omit<VerifyAssertionOptions, 'purpose' | 'email'>,
  requiredClaims: string[],
  check: (payload: T) => void,
): Promise<T> {
  const url = options.jwksUrl ?? `${options.issuer.replace(/\/+$/, '')}/.well-known/jwks.json`;
  let jwks = jwksCache.get(url);
  if (!jwks) {
    jwks = createRemoteJWKSet(new URL(url));
    jwksCache.set(url, jwks);
  }
  const { payload } = await jwtVerify<T>(token, jwks, {
    issuer: options.issuer,
    audience: options.audience,
    typ: 'verification+jwt',
    algorithms: ['EdDSA'],
    requiredClaims: ['jti', 'exp', ...requiredClaims],
    clockTolerance: options.clockToleranceSeconds ?? 5,
    ...(options.currentDate ? { currentDate: options.currentDate } : {}),
  });
  check(payload);
  if (options.acr && !options.acr.includes(payload.acr as AssuranceLevel))
    throw new AssertionError(`assertion is of level ${String(payload.acr)}, not ${options.acr.join(' or ')}`);
  if (options.replayStore && !(await options.replayStore.remember(payload.jti, new Date((payload.exp ?? 0) * 1000)))) {
    throw new AssertionError('assertion already used');
  }
  return payload;
}

/**
 * Checks an email assertion with mailcode's published keys (cached, refreshed on an unknown
 * kid) and the claims a portal must check; with a replay store, a token is accepted once.
 */
export function verifyAssertion(token: string, options: VerifyAssertionOptions): Promise<VerificationClaims> {
  return verifySigned<VerificationClaims>(token, options, ['email', 'purpose'], (payload) => {
    if (
      payload.email_verified !== true ||
      (payload.verification_method !== 'email' && payload.verification_method !== 'email_link')
    ) {
      throw new AssertionError('not an email verification assertion');
    }
    if (options.purpose && payload.purpose !== options.purpose)
      throw new AssertionError(`assertion is for ${payload.purpose}, not ${options.purpose}`);
    if (options.email && payload.email !== options.email.trim().toLowerCase())
      throw new AssertionError('assertion is for another address');
    if (options.userRef !== undefined && payload.user_ref !== options.userRef)
      throw new AssertionError('assertion is for another person');
  });
}

export interface SecondFactorClaims extends JWTPayload {
  sub: string;
  /** The same person as `sub`: the claim an email assertion of the person carries too. */
  user_ref: string;
  /** RFC 8176: ["otp"], or ["otp", "mfa"] with two factors. */
  amr: string[];
  acr: AssuranceLevel;
  verification_method: 'totp' | 'recovery_code' | 'trusted_browser' | 'passkey';
  /** The trusted browser that stood in, when one did. */
  trusted_browser?: string;
  /** The passkey that signed, when one did. */
  passkey?: string;
  auth_time: number;
  jti: string;
}

/** Checks an authenticator-app, recovery-code, trusted-browser or passkey assertion for the given user. */
export function verifySecondFactorAssertion(
  token: string,
  options: Omit<VerifyAssertionOptions, 'purpose' | 'email'> & { userRef: string },
): Promise<SecondFactorClaims> {
  return verifySigned<SecondFactorClaims>(token, options, ['sub'], (payload) => {
    if (!['totp', 'recovery_code', 'trusted_browser', 'passkey'].includes(payload.verification_method))
      throw new AssertionError('not a second-factor assertion');
    if (payload.sub !== options.userRef) throw new AssertionError('assertion is for another user');
  });
}

/**
 * Checks a passkey assertion. After a usernameless sign-in the portal learns who it is from
 * the answer: `sub` (and `user_ref`) is the passkey's person; pass `userRef` when it knows.
 * `amr` says `hwk` or `swk`, and `user` when the authenticator verified the person.
 */
export function verifyPasskeyAssertion(
  token: string,
  options: Omit<VerifyAssertionOptions, 'purpose' | 'email'>,
): Promise<SecondFactorClaims & { verification_method: 'passkey'; passkey: string }> {
  return verifySigned(token, options, ['sub'], (payload: SecondFactorClaims) => {
    if (payload.verification_method !== 'passkey' || typeof payload.passkey !== 'string')
      throw new AssertionError('not a passkey assertion');
    if (options.userRef !== undefined && payload.sub !== options.userRef)
      throw new AssertionError('assertion is for another user');
  }) as Promise<SecondFactorClaims & { verification_method: 'passkey'; passkey: string }>;
}

export { MailcodeError };
