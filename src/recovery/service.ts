// Recovering a lost authenticator by email, without handing the account to whoever reads
// the mailbox: a code mailed to the address the person proved (every send limit applies),
// then a waiting period that a sign-in with the app, the portal or support cancels, and
// only then the app goes. Every step is an event, and — once the code was right — a notice
// to the person. A recovery for nobody (no authenticator, no proven address) mails nothing
// and reads like any other, so the answer does not tell who has an account.
import type { Logger } from 'pino';
import { maskUserRef } from '../people/model.js';
import type { Client } from '../clients/model.js';
import { byMailcode, event, type NewEvent, type RequestContext } from '../events/model.js';
import type { NoticeAddress, PendingRecovery } from '../people/model.js';
import { type NoticeDeps, type NoticeFacts, noticeEvents, type QueuedNotice, queuedNotice } from '../people/notices.js';
import { DomainError } from '../shared/domain-error.js';
import { newTimeOrderedId } from '../shared/ids.js';
import { unmatchableVerificationId } from '../verification/attempt-flow.js';
import { hourMs } from '../verification/limits.js';
import type { VerificationService } from '../verification/service.js';
import { isDue, isOpen, type Recovery, type RecoveryEndedBy, type RecoveryStatus, recoveryState } from './model.js';
import type { RecoveriesPort } from './ports.js';
import { refuse } from './refusals.js';

export interface RecoveryServiceDeps {
  recoveries: RecoveriesPort;
  verification: Pick<VerificationService, 'sendRecoveryCode' | 'verifyCode'>;
  /** Whether the person has an authenticator to recover. */
  hasAuthenticator(clientId: string, userRef: string): Promise<boolean>;
  /** The address the person proved last (people/): where the code and the notices go. */
  noticeAddress(clientId: string, userRef: string): Promise<NoticeAddress | undefined>;
  notices: NoticeDeps;
  /** How long a code lives and how many wrong ones it takes (the send limits'). */
  codeTtlMs: number;
  maxAttempts: number;
  now: () => number;
  logger: Logger;
  /** The recovery removed the person's authenticator: what stood in for it ends (trusted browsers). */
  factorsChanged?(client: Client, userRef: string, context: RequestContext): Promise<void>;
}

/** The id a recovery for nobody checks its codes against: no verification has it (the decoy answers). */
const nobodysVerification = unmatchableVerificationId;

/** How many recoveries of a person the portal and support see. */
const historyLength = 10;

export class RecoveryService {
  constructor(private readonly deps: RecoveryServiceDeps) {}

  private event(
    type:
      | 'recovery.requested'
      | 'recovery.started'
      | 'recovery.canceled'
      | 'recovery.completed'
      | 'authenticator.reset',
    r: Recovery,
    context: RequestContext,
    data: Record<string, unknown>,
  ): NewEvent {
    return event(type, this.deps.now(), { clientId: r.clientId, subject: r.userRef }, context, {
      recoveryId: r.id,
      ...data,
    });
  }

  private notice(client: Client, userRef: string, facts: NoticeFacts) {
    return queuedNotice(this.deps.notices, client, userRef, facts, this.deps.now());
  }

  private queued(notice: QueuedNotice | undefined) {
    if (notice) this.deps.notices.onQueued?.();
  }

  /**
   * Asks for a recovery: mails a code to the person's proven address — or, for nobody, mails
   * nothing and answers the same. One open recovery per person.
   */
  async start(
    client: Client,
    userRef: string,
    input: { locale?: string; endUserIp?: string },
    context: RequestContext,
  ): Promise<Recovery> {
    const now = this.deps.now();
    const open = await this.openOne(client, userRef, now);
    if (open) throw refuse({ kind: 'recovery_pending', recoveryId: open.id });
    const [address, hasApp] = await Promise.all([
      this.deps.noticeAddress(client.id, userRef),
      this.deps.hasAuthenticator(client.id, userRef),
    ]);
    // The code's send is refused as any send is (limits, a suppressed address) — before
    // anything is stored.
    const sent =
      address && hasApp
        ? await this.deps.verification.sendRecoveryCode(
            client,
            { email: address.email, locale: input.locale ?? address.locale ?? undefined, endUserIp: input.endUserIp },
            context,
          )
        : undefined;
    const recovery: Recovery = {
      id: newTimeOrderedId('rc', now),
      clientId: client.id,
      userRef,
      verificationId: sent?.verification.id ?? null,
      status: 'code_sent',
      attempts: 0,
      createdAt: now,
      codeExpiresAt: sent?.verification.expiresAt ?? now + this.deps.codeTtlMs,
      startedAt: null,
      completesAt: null,
      endedAt: null,
      endedBy: null,
      reason: null,
    };
    const requested = this.event('recovery.requested', recovery, context, { mailed: sent !== undefined });
    if (!(await this.deps.recoveries.create(recovery, now, [requested]))) {
      const other = await this.openOne(client, userRef, now);
      throw refuse({ kind: 'recovery_pending', recoveryId: other?.id ?? recovery.id });
    }
    (context.log ?? this.deps.logger).info(
      { client: client.id, userRef: maskUserRef(userRef), recoveryId: recovery.id, mailed: sent !== undefined },
      'recovery asked for',
    );
    return recovery;
  }

  /** The mailed code: a right one starts the waiting period (and tells the person); the app goes at its end. */
  async confirm(client: Client, userRef: string, id: string, code: string, context: RequestContext): Promise<Recovery> {
    const recovery = await this.found(client, userRef, id);
    const state = recoveryState(recovery, this.deps.now());
    if (state === 'expired') throw refuse({ kind: 'code_expired' });
    if (state !== 'code_sent') throw refuse({ kind: 'recovery_closed', state });
    if (recovery.verificationId === null) return this.wrongForNobody(client, recovery, code, context);
    await this.checkCode(client, recovery.verificationId, code, context);
    return this.startWaiting(client, recovery, context);
  }

  /**
   * A recovery that mailed nothing takes no code: each is wrong, and they run out as a real
   * one's do. The code is still checked as a code of no verification is — on the client's
   * decoy, with a decoy signature — so the answer costs what a real wrong code costs.
   */
  private async wrongForNobody(
    client: Client,
    recovery: Recovery,
    code: string,
    context: RequestContext,
  ): Promise<never> {
    const { maxAttempts } = this.deps;
    await this.deps.verification
      .verifyCode(client, { verificationId: nobodysVerification }, code, context, { recovery: true })
      .catch((error: unknown) => {
        if (!(error instanceof DomainError)) throw error;
      });
    const counted = await this.deps.recoveries.countDecoyAttempt(recovery.id, maxAttempts);
    if (counted === undefined) throw refuse({ kind: 'too_many_attempts' });
    throw refuse({ kind: 'invalid_code', attemptsRemaining: Math.max(0, maxAttempts - counted) });
  }

  /** The code, checked as any code is (attempts, lockout); the verification's refusals in the recovery's words. */
  private async checkCode(client: Client, verificationId: string, code: string, context: RequestContext) {
    try {
      await this.deps.verification.verifyCode(client, { verificationId }, code, context, { recovery: true });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      switch (error.refusal.kind) {
        case 'invalid_code':
        case 'invalid_request':
          throw error;
        // Right before, and the process stopped before the wait was written: go on.
        case 'already_verified':
          return;
        case 'too_many_attempts':
          throw refuse({ kind: 'too_many_attempts' });
        case 'code_expired':
          throw refuse({ kind: 'code_expired' });
        default:
          throw refuse({ kind: 'recovery_closed', state: 'canceled' });
      }
    }
  }

  private async startWaiting(client: Client, recovery: Recovery, context: RequestContext): Promise<Recovery> {
    const now = this.deps.now();
    const completesAt = now + client.recoveryWaitHours * hourMs;
    const notice = await this.notice(client, recovery.userRef, { kind: 'recovery_started', completesAt });
    const started = this.event('recovery.started', recovery, context, { completesAt });
    if (
      !(await this.deps.recoveries.start(
        recovery.id,
        now,
        completesAt,
        [started, ...noticeEvents(notice, context)],
        notice,
      ))
    )
      return this.found(client, recovery.userRef, recovery.id);
    this.queued(notice);
    (context.log ?? this.deps.logger).warn(
      {
        client: client.id,
        userRef: maskUserRef(recovery.userRef),
        recoveryId: recovery.id,
        completesAt: new Date(completesAt).toISOString(),
      },
      'recovery started: the authenticator goes at the end of the wait',
    );
    const waiting = { ...recovery, status: 'waiting' as const, startedAt: now, completesAt };
    // No wait (a client's choice, documented as weaker): the app goes now.
    return completesAt <= now ? this.complete(client, waiting, 'wait', context) : waiting;
  }

  /** Where a recovery stands now (a code_sent one past its code's expiry is expired). */
  stateOf(recovery: Recovery): RecoveryStatus {
    return recoveryState(recovery, this.deps.now());
  }

  /** A recovery of the person — completed first when its time has come, so it never reads as waiting past its end. */
  async get(client: Client, userRef: string, id: string): Promise<Recovery> {
    return this.settled(client, await this.found(client, userRef, id));
  }

  /** The person's recoveries, newest first (each settled as `get` does). */
  async list(client: Client, userRef: string): Promise<Recovery[]> {
    const recoveries = await this.deps.recoveries.list(client.id, userRef, historyLength);
    return Promise.all(recoveries.map((r) => this.settled(client, r)));
  }

  private async settled(client: Client, recovery: Recovery): Promise<Recovery> {
    return isDue(recovery, this.deps.now()) ? this.complete(client, recovery, 'wait', byMailcode) : recovery;
  }

  /** The person's recovery under way, if any (settled first: one whose wait ended is completed, not pending). */
  async pending(client: Client, userRef: string): Promise<PendingRecovery | undefined> {
    const open = await this.openOne(client, userRef, this.deps.now());
    const settled = open && (await this.settled(client, open));
    if (!settled || !isOpen(settled, this.deps.now())) return undefined;
    return { id: settled.id, status: settled.status as PendingRecovery['status'], completesAt: settled.completesAt };
  }

  /** The portal's or support's cancel (support's with its reason, in `context`). */
  async cancel(client: Client, userRef: string, id: string, context: RequestContext): Promise<Recovery> {
    const recovery = await this.get(client, userRef, id);
    const state = recoveryState(recovery, this.deps.now());
    if (state !== 'code_sent' && state !== 'waiting') throw refuse({ kind: 'recovery_closed', state });
    return this.end(client, recovery, context.actor === 'portal' ? 'portal' : 'support', context);
  }

  /** Support approves it early: the app goes now (the reason in `context`). */
  async approve(client: Client, userRef: string, id: string, context: RequestContext): Promise<Recovery> {
    const recovery = await this.get(client, userRef, id);
    const state = recoveryState(recovery, this.deps.now());
    if (state !== 'waiting') throw refuse({ kind: 'recovery_closed', state });
    return this.complete(client, recovery, 'support', context);
  }

  /**
   * The person signed in with the app or a recovery code: they still have it, so an open
   * recovery ends here. Called after every such sign-in; a read when there is none.
   */
  async signedIn(client: Client, userRef: string, context: RequestContext): Promise<void> {
    const now = this.deps.now();
    const open = await this.openOne(client, userRef, now);
    if (open && !isDue(open, now)) await this.end(client, open, 'sign_in', context);
  }

  /** The person's open recovery, if any (there is at most one; among the newest, whatever their order within a millisecond). */
  private async openOne(client: Client, userRef: string, now: number): Promise<Recovery | undefined> {
    return (await this.deps.recoveries.list(client.id, userRef, historyLength)).find((r) => isOpen(r, now));
  }

  private async end(client: Client, recovery: Recovery, by: Exclude<RecoveryEndedBy, 'wait'>, context: RequestContext) {
    const now = this.deps.now();
    // Only a started recovery was news to the person; one still waiting for its code ends quietly.
    const notice =
      recovery.status === 'waiting'
        ? await this.notice(client, recovery.userRef, { kind: 'recovery_canceled', by })
        : undefined;
    const canceled = this.event('recovery.canceled', recovery, context, { by });
    const end = { at: now, by, reason: context.reason ?? null };
    if (!(await this.deps.recoveries.cancel(recovery.id, end, [canceled, ...noticeEvents(notice, context)], notice)))
      return this.found(client, recovery.userRef, recovery.id);
    this.queued(notice);
    (context.log ?? this.deps.logger).info(
      { client: client.id, userRef: maskUserRef(recovery.userRef), recoveryId: recovery.id, by },
      'recovery canceled',
    );
    return { ...recovery, status: 'canceled' as const, endedAt: now, endedBy: by, reason: end.reason };
  }

  private async complete(client: Client, recovery: Recovery, by: 'wait' | 'support', context: RequestContext) {
    const now = this.deps.now();
    const notice = await this.notice(client, recovery.userRef, { kind: 'recovery_completed', by });
    const events = [
      this.event('recovery.completed', recovery, context, { by }),
      this.event('authenticator.reset', recovery, context, { by: 'recovery' }),
      ...noticeEvents(notice, context),
    ];
    const end = { at: now, by, reason: context.reason ?? null };
    if (!(await this.deps.recoveries.complete(recovery.id, end, events, notice)))
      return this.found(client, recovery.userRef, recovery.id);
    this.queued(notice);
    await this.deps.factorsChanged?.(client, recovery.userRef, context);
    (context.log ?? this.deps.logger).warn(
      { client: client.id, userRef: maskUserRef(recovery.userRef), recoveryId: recovery.id, by },
      'recovery completed: authenticator removed',
    );
    return { ...recovery, status: 'completed' as const, endedAt: now, endedBy: by, reason: end.reason };
  }

  /** Completes what is due (the background pass): the notice goes out at the time, not at the next read. */
  async completeDue(clientOf: (id: string) => Promise<Client | undefined>, limit = 50): Promise<number> {
    const due = await this.deps.recoveries.due(this.deps.now(), limit);
    let completed = 0;
    for (const recovery of due) {
      // A client that is gone has no one to mail; its recovery stays as it is.
      const client = await clientOf(recovery.clientId);
      if (client) {
        await this.complete(client, recovery, 'wait', byMailcode);
        completed++;
      }
    }
    return completed;
  }

  private async found(client: Client, userRef: string, id: string): Promise<Recovery> {
    const recovery = await this.deps.recoveries.get(client.id, userRef, id);
    if (!recovery) throw refuse({ kind: 'recovery_not_found' });
    return recovery;
  }
}
