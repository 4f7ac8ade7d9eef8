// The support console's sessions, kept on the server: the browser holds only a random id
// (256 bits) in an HttpOnly cookie, the database only its SHA-256, so a copy of the
// database signs nobody in. A sign-in moves through stages — the mailed code, then the
// authenticator app (or its enrolment at the first sign-in) — and the id changes at each
// step, so an id seen before sign-in is worth nothing after it. Sessions end after 30
// minutes without a request, 12 hours after they began, at sign-out, at "sign out
// everywhere", and at once when the operator is disabled or removed.
import { createHash, randomBytes } from 'node:crypto';
import type { Operator } from './model.js';
import type { OperatorsPort } from './ports.js';

export const sessionIdleMs = 30 * 60_000;
export const sessionLifetimeMs = 12 * 3_600_000;

/** A session last seen at or before `seenBy`, or begun at or before `begunBy`, has ended. */
export interface SessionCutoffs {
  seenBy: number;
  begunBy: number;
}

export const sessionCutoffs = (now: number): SessionCutoffs => ({
  seenBy: now - sessionIdleMs,
  begunBy: now - sessionLifetimeMs,
});

const ended = (s: Pick<ConsoleSession, 'lastSeenAt' | 'createdAt'>, c: SessionCutoffs) =>
  s.lastSeenAt <= c.seenBy || s.createdAt <= c.begunBy;

/** How far a sign-in has come. Only `signed_in` opens the console's pages. */
export const sessionStages = ['code', 'second_factor', 'enrol', 'signed_in'] as const;
export type SessionStage = (typeof sessionStages)[number];

export interface ConsoleSession {
  /** SHA-256 (base64url) of the cookie's value. */
  idHash: string;
  operatorId: string;
  stage: SessionStage;
  createdAt: number;
  lastSeenAt: number;
}

export interface ConsoleSessionsPort {
  create(session: ConsoleSession): Promise<void>;
  get(idHash: string): Promise<ConsoleSession | undefined>;
  /** The same session under a new id and stage (the old id stops working); false when it is gone. */
  advance(idHash: string, next: { idHash: string; stage: SessionStage; at: number }): Promise<boolean>;
  touch(idHash: string, at: number): Promise<void>;
  remove(idHash: string): Promise<void>;
  /** Every session of the operator (sign out everywhere; disabled). */
  removeAllOf(operatorId: string): Promise<number>;
  /** Sessions that ended by the cutoffs; how many were removed. */
  removeEnded(cutoffs: SessionCutoffs): Promise<number>;
}

const hashOf = (id: string) => createHash('sha256').update(id).digest('base64url');
/** A cookie's value: 256 random bits. */
export const newSessionId = () => randomBytes(32).toString('base64url');

export class ConsoleSessions {
  constructor(
    private readonly sessions: ConsoleSessionsPort,
    private readonly operators: Pick<OperatorsPort, 'get'>,
    private readonly options: { now: () => number },
  ) {}

  /** A new session at its first stage; the cookie's value (new, or one already handed out) is returned once, never stored. */
  async start(
    operatorId: string,
    stage: SessionStage = 'code',
    cookie: string = newSessionId(),
  ): Promise<{ cookie: string; session: ConsoleSession }> {
    const at = this.options.now();
    const session: ConsoleSession = { idHash: hashOf(cookie), operatorId, stage, createdAt: at, lastSeenAt: at };
    await this.sessions.create(session);
    return { cookie, session };
  }

  /**
   * The session and its operator for a cookie, if it is still good: within both time
   * limits, and its operator still there and enabled. A session that is not is removed.
   */
  async read(cookie: string | undefined): Promise<{ session: ConsoleSession; operator: Operator } | undefined> {
    if (!cookie || cookie.length > 128) return undefined;
    const idHash = hashOf(cookie);
    const session = await this.sessions.get(idHash);
    if (!session) return undefined;
    const now = this.options.now();
    const operator = await this.operators.get(session.operatorId);
    if (ended(session, sessionCutoffs(now)) || !operator || operator.disabledAt !== null) {
      await this.sessions.remove(idHash);
      return undefined;
    }
    await this.sessions.touch(idHash, now);
    return { session: { ...session, lastSeenAt: now }, operator };
  }

  /** The next stage under a new id: the old cookie stops working. Undefined when the session is gone. */
  async advance(cookie: string, stage: SessionStage): Promise<string | undefined> {
    const next = newSessionId();
    const moved = await this.sessions.advance(hashOf(cookie), { idHash: hashOf(next), stage, at: this.options.now() });
    return moved ? next : undefined;
  }

  end(cookie: string): Promise<void> {
    return this.sessions.remove(hashOf(cookie));
  }

  /** Removes the sessions nobody can use any more (the ones never read again after they ended). */
  removeEnded(): Promise<number> {
    return this.sessions.removeEnded(sessionCutoffs(this.options.now()));
  }

  /** Sign out everywhere, and what disabling an operator does. */
  endAllOf(operatorId: string): Promise<number> {
    return this.sessions.removeAllOf(operatorId);
  }
}
