// The portal side of mailcode: a typed client for the API and a verifier for its
// assertions. Import it as `mailcode/client`.
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { errorFor, MailcodeError, type Problem } from './errors.js';

export * from './errors.js';

export type Purpose = 'signup' | 'login';

export interface SendCodeResult {
  verificationId: string;
  email: string;
  purpose: Purpose;
  expiresAt: string;
  resendAfter: string;
  maxAttempts: number;
}

export interface VerifyCodeResult {
  verified: true;
  assertion: string;
  expiresAt: string;
}

export interface VerificationState {
  id: string;
  email: string;
  purpose: Purpose;
  status: 'pending' | 'verified' | 'expired' | 'locked' | 'canceled';
  delivery: 'queued' | 'sent' | 'failed';
  deliveryAttempts: number;
  lastDeliveryError: string | null;
  attemptsRemaining: number;
  expiresAt: string;
}

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
  sendCode(input: { email: string; purpose?: Purpose; locale?: string; endUserIp?: string }): Promise<SendCodeResult> {
    return this.request('POST', '/send-code', input);
  }

  /** Checks a code; resolves with the signed assertion, or rejects with a typed error. */
  verifyCode(
    input: ({ verificationId: string } | { email: string; purpose?: Purpose }) & { code: string; endUserIp?: string },
  ): Promise<VerifyCodeResult> {
    return this.request('POST', '/verify-code', input);
  }

  getVerification(id: string): Promise<VerificationState> {
    return this.request('GET', `/verifications/${encodeURIComponent(id)}`);
  }

  async cancelVerification(id: string): Promise<void> {
    await this.request('DELETE', `/verifications/${encodeURIComponent(id)}`);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.fetchImpl(`${this.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.options.apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
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

export interface VerificationClaims extends JWTPayload {
  email: string;
  email_verified: true;
  purpose: Purpose;
  amr: string[];
  verification_method: 'email';
  auth_time: number;
  jti: string;
}

export interface VerifyAssertionOptions {
  /** mailcode's PUBLIC_URL (the `iss`). */
  issuer: string;
  /** Your client id (the `aud`). */
  audience: string;
  purpose?: Purpose;
  email?: string;
  /** Defaults to `${issuer}/.well-known/jwks.json`. */
  jwksUrl?: string;
  replayStore?: ReplayStore;
  /** Seconds of clock skew to tolerate between mailcode and the portal (default 5). */
  clockToleranceSeconds?: number;
  /** The time to check `exp` against (tests); default now. */
  currentDate?: Date;
}

const jwksCache = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

export class AssertionError extends Error {
  override name = 'AssertionError';
}

/**
 * Checks an assertion with mailcode's published keys (cached, refreshed on an unknown kid)
 * and the claims a portal must check; with a replay store, a token is accepted once.
 */
export async function verifyAssertion(token: string, options: VerifyAssertionOptions): Promise<VerificationClaims> {
  const url = options.jwksUrl ?? `${options.issuer.replace(/\/+$/, '')}/.well-known/jwks.json`;
  let jwks = jwksCache.get(url);
  if (!jwks) jwksCache.set(url, (jwks = createRemoteJWKSet(new URL(url))));
  const { payload } = await jwtVerify<VerificationClaims>(token, jwks, {
    issuer: options.issuer,
    audience: options.audience,
    typ: 'verification+jwt',
    algorithms: ['EdDSA'],
    requiredClaims: ['jti', 'email', 'purpose', 'exp'],
    clockTolerance: options.clockToleranceSeconds ?? 5,
    ...(options.currentDate ? { currentDate: options.currentDate } : {}),
  });
  if (payload.email_verified !== true || payload.verification_method !== 'email') throw new AssertionError('not an email verification assertion');
  if (options.purpose && payload.purpose !== options.purpose) throw new AssertionError(`assertion is for ${payload.purpose}, not ${options.purpose}`);
  if (options.email && payload.email !== options.email.trim().toLowerCase()) throw new AssertionError('assertion is for another address');
  if (options.replayStore && !(await options.replayStore.remember(payload.jti, new Date((payload.exp ?? 0) * 1000)))) {
    throw new AssertionError('assertion already used');
  }
  return payload;
}

export { MailcodeError };
