// How an operator signs in to the console, with mailcode's own flows (dogfooded): a code
// mailed to them through the verification service, then their authenticator app through
// the TOTP service — or, at the first sign-in, its enrolment before anything else. Both
// run for mailcode's own client (serviceClientId) with the operator's id as user
// reference, so every rule a portal's people meet (expiry, attempts, lockout, send limits,
// replay) holds for operators too. The session moves a stage at each step under a new id.
//
// The answers do not tell whether an address belongs to an operator: an unknown or
// disabled address gets a session-shaped cookie with nothing behind it, and every failed
// code reads the same.
import type { Client } from '../clients/model.js';
import { event, type EventType, type RequestContext } from '../events/model.js';
import type { EventsPort } from '../events/ports.js';
import { DomainError } from '../shared/domain-error.js';
import type { TotpService } from '../totp/service.js';
import { addressDomain, normalizeEmail } from '../verification/email-address.js';
import type { VerificationService } from '../verification/service.js';
import { aboutOperator, type Operator } from './model.js';
import type { OperatorsPort } from './ports.js';
import { newSessionId, type ConsoleSessions, type SessionStage } from './sessions.js';

export interface SignInDeps {
  operators: Pick<OperatorsPort, 'findByEmail'>;
  sessions: ConsoleSessions;
  verification: Pick<VerificationService, 'sendCode' | 'verifyCode'>;
  totp: Pick<TotpService, 'status' | 'verify' | 'recover' | 'enroll' | 'confirm'>;
  /** mailcode's own client (ClientsService.serviceClient). */
  serviceClient(): Promise<Client>;
  events: Pick<EventsPort, 'append'>;
  now: () => number;
  /** The work after an answer failed (the database away, say): no code went out; the operator starts again. */
  failedAfterAnswer?: (error: unknown) => void;
}

/** Why a step did not go through, in words the page can say without telling more. */
export type SignInProblem = 'wrong_code' | 'locked' | 'session_ended';

export type StepResult =
  | { ok: true; cookie: string; stage: SessionStage }
  | { ok: false; problem: SignInProblem; retryAfterMs?: number };

/** What the enrolment page shows: the QR code and the key to type in, once. */
export interface Enrolment {
  enrollmentId: string;
  secret: string;
  qrSvg: string;
  otpauthUri: string;
}

export class ConsoleSignIn {
  /** The work begun after answers (an operator's session and code), not yet done. */
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly deps: SignInDeps) {}

  /**
   * Step one: an address. Every address gets the same answer in the same time: a new cookie
   * after one lookup. Only after the answer does an operator's address get its session (at
   * stage `code`, under that cookie) and its code mailed — the work a stranger's address
   * never gets, which told the two apart by the answer's time (2.7 ms against 1.5 ms).
   */
  async begin(email: string, context: RequestContext): Promise<{ cookie: string }> {
    const address = normalizeEmail(email);
    const operator = address.ok ? await this.deps.operators.findByEmail(address.email) : undefined;
    const cookie = newSessionId();
    if (operator && operator.disabledAt === null) this.afterAnswer(() => this.startAndMail(cookie, operator, context));
    return { cookie };
  }

  /** Resolves once the work begun after earlier answers is done (a stop waits for it; so do tests). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private afterAnswer(work: () => Promise<void>): void {
    const done: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
      .then(work)
      .catch((error: unknown) => this.deps.failedAfterAnswer?.(error))
      .finally(() => this.pending.delete(done));
    this.pending.add(done);
  }

  private async startAndMail(cookie: string, operator: Operator, context: RequestContext): Promise<void> {
    await this.deps.sessions.start(operator.id, 'code', cookie);
    const as = this.contextOf(operator, context);
    try {
      await this.deps.verification.sendCode(
        await this.clientFor(operator),
        { email: operator.email, purpose: 'login', locale: 'en', endUserIp: context.endUserIp },
        as,
      );
    } catch (error) {
      // Limited, suppressed: no code goes out, and the page said what it says to anyone.
      if (!(error instanceof DomainError)) throw error;
      await this.record('operator.sign_in_failed', operator, as, { step: 'send', refusal: error.refusal.kind });
    }
  }

  /** Step two: the mailed code. Next comes the authenticator app, or its enrolment. */
  async checkCode(cookie: string, code: string, context: RequestContext): Promise<StepResult> {
    const found = await this.deps.sessions.read(cookie);
    if (found?.session.stage !== 'code') return { ok: false, problem: 'wrong_code' };
    const { operator } = found;
    const client = await this.clientFor(operator);
    const as = this.contextOf(operator, context);
    try {
      await this.deps.verification.verifyCode(client, { email: operator.email, purpose: 'login' }, code, as);
    } catch (error) {
      return this.failed(error, operator, as, 'code');
    }
    const stage = (await this.deps.totp.status(client, operator.id)).enabled ? 'second_factor' : 'enrol';
    return this.advance(cookie, stage);
  }

  /** Step three: a code from the app, or one of the recovery codes. */
  async checkSecondFactor(
    cookie: string,
    answer: { code: string } | { recoveryCode: string },
    context: RequestContext,
  ): Promise<StepResult> {
    const found = await this.deps.sessions.read(cookie);
    if (found?.session.stage !== 'second_factor') return { ok: false, problem: 'session_ended' };
    const { operator } = found;
    const client = await this.clientFor(operator);
    const as = this.contextOf(operator, context);
    try {
      if ('code' in answer) await this.deps.totp.verify(client, { userRef: operator.id, code: answer.code }, as);
      else await this.deps.totp.recover(client, { userRef: operator.id, recoveryCode: answer.recoveryCode }, as);
    } catch (error) {
      return this.failed(error, operator, as, 'code' in answer ? 'authenticator' : 'recovery_code');
    }
    await this.record('operator.signed_in', operator, as, { method: 'code' in answer ? 'totp' : 'recovery_code' });
    return this.advance(cookie, 'signed_in');
  }

  /** At the first sign-in: a new authenticator for the operator, to scan. */
  async enrol(cookie: string): Promise<Enrolment | undefined> {
    const found = await this.deps.sessions.read(cookie);
    if (found?.session.stage !== 'enrol') return undefined;
    const { operator } = found;
    const { enrollmentId, secret, qrSvg, otpauthUri } = await this.deps.totp.enroll(await this.clientFor(operator), {
      userRef: operator.id,
      accountName: operator.email,
    });
    return { enrollmentId, secret, qrSvg, otpauthUri };
  }

  /** The enrolment confirmed with a code from the app: signed in, with the recovery codes to show once. */
  async confirmEnrolment(
    cookie: string,
    enrollmentId: string,
    code: string,
    context: RequestContext,
  ): Promise<(StepResult & { ok: true; recoveryCodes: string[] }) | (StepResult & { ok: false })> {
    const found = await this.deps.sessions.read(cookie);
    if (found?.session.stage !== 'enrol') return { ok: false, problem: 'session_ended' };
    const { operator } = found;
    const as = this.contextOf(operator, context);
    let recoveryCodes: string[];
    try {
      ({ recoveryCodes } = await this.deps.totp.confirm(
        await this.clientFor(operator),
        enrollmentId,
        code,
        as,
        operator.id,
      ));
    } catch (error) {
      return this.failed(error, operator, as, 'enrolment');
    }
    await this.record('operator.signed_in', operator, as, { method: 'enrolment' });
    const next = await this.advance(cookie, 'signed_in');
    return next.ok ? { ...next, recoveryCodes } : next;
  }

  /** Sign-out: this session ends (recorded when it was a signed-in one). */
  async signOut(cookie: string, context: RequestContext, everywhere = false): Promise<void> {
    const found = await this.deps.sessions.read(cookie);
    if (!found) return;
    if (everywhere) await this.deps.sessions.endAllOf(found.operator.id);
    else await this.deps.sessions.end(cookie);
    await this.record('operator.signed_out', found.operator, this.contextOf(found.operator, context), { everywhere });
  }

  /** mailcode's own client, as it mails this operator: only to the operator's own domain. */
  private async clientFor(operator: Operator): Promise<Client> {
    const client = await this.deps.serviceClient();
    return {
      ...client,
      name: 'mailcode console',
      allowedDomains: [addressDomain(operator.email)],
      continueUrl: null,
      secondFactor: 'required',
    };
  }

  private contextOf(operator: Operator, context: RequestContext): RequestContext {
    return { ...context, actor: 'operator', operatorId: operator.id };
  }

  private async advance(cookie: string, stage: SessionStage): Promise<StepResult> {
    const next = await this.deps.sessions.advance(cookie, stage);
    return next ? { ok: true, cookie: next, stage } : { ok: false, problem: 'session_ended' };
  }

  private async failed(
    error: unknown,
    operator: Operator,
    context: RequestContext,
    step: string,
  ): Promise<StepResult & { ok: false }> {
    if (!(error instanceof DomainError)) throw error;
    const refusal = error.refusal;
    await this.record('operator.sign_in_failed', operator, context, { step, refusal: refusal.kind });
    // An authenticator's lock says when it ends; a mailed code's lock does not, and reads as a
    // wrong code: an address that is no operator's never locks.
    const retryAfterMs = error.words.retryAfterMs?.(refusal);
    if (refusal.kind === 'too_many_attempts' && retryAfterMs !== undefined) {
      return { ok: false, problem: 'locked', retryAfterMs };
    }
    return { ok: false, problem: 'wrong_code' };
  }

  private record(
    type: EventType,
    operator: Operator,
    context: RequestContext,
    data: Record<string, unknown>,
  ): Promise<void> {
    return this.deps.events.append([event(type, this.deps.now(), aboutOperator(operator), context, data)]);
  }
}
