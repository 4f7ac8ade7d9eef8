// What support sees of a person and does for them, across clients: their verifications
// with each mail's delivery story, the suppressions of their address, where the address
// stands against each send limit (why a send was refused, until when), their
// authenticators. Every action on a person needs a written reason, recorded with the
// operator in the event of the change (the client's trail: its `GET /events` shows it).
import type { Client } from '../clients/model.js';
import type { ClientsService } from '../clients/service.js';
import type { AuditEvent, ClientEventType, RequestContext } from '../events/model.js';
import type { EventsService } from '../events/service.js';
import type { PeopleService } from '../people/service.js';
import type { Recovery, RecoveryStatus } from '../recovery/model.js';
import type { RecoveryService } from '../recovery/service.js';
import type { PasskeyService, ShownPasskey } from '../passkeys/service.js';
import type { TrustedBrowserService } from '../trusted-browsers/service.js';
import { refuse } from './refusals.js';
import { DomainError } from '../shared/domain-error.js';
import type { SuppressionService } from '../suppression/service.js';
import type { TotpService } from '../totp/service.js';
import { maskEmail, normalizeEmail } from '../verification/email-address.js';
import type { VerificationService } from '../verification/service.js';
import type { SendStanding } from '../verification/standing.js';
import type { Operator } from './model.js';

export const reasonMaxLength = 500;

/** The events that tell a mail's story, oldest first. */
const deliveryTypes: ClientEventType[] = [
  'verification.created',
  'verification.code_resent',
  'mail.sent',
  'mail.deferred',
  'mail.bounced',
  'mail.failed',
  'mail.suppressed',
  'verification.verified',
  'verification.locked',
  'verification.expired',
  'verification.canceled',
];

/** The events that tell what mailcode told a person and how the mail went, and the recoveries' steps, oldest first. */
const personStoryTypes: ClientEventType[] = [
  'notice.queued',
  'mail.sent',
  'mail.deferred',
  'mail.bounced',
  'mail.failed',
  'mail.suppressed',
  'recovery.requested',
  'recovery.started',
  'recovery.canceled',
  'recovery.completed',
  'person.address_gone',
  'passkey.added',
  'passkey.removed',
  'passkey.counter_went_back',
];

export interface SupportDeps {
  clients: Pick<ClientsService, 'list' | 'get'>;
  verification: Pick<VerificationService, 'findByEmail' | 'standing' | 'cancelVerification'>;
  suppressions: Pick<SuppressionService, 'findByEmail' | 'lift'>;
  totp: Pick<TotpService, 'factorsOf' | 'reset' | 'regenerateRecoveryCodes'>;
  events: Pick<EventsService, 'timeline'>;
  people: Pick<PeopleService, 'linkedTo'>;
  recovery: Pick<RecoveryService, 'list' | 'stateOf' | 'approve' | 'cancel'>;
  trustedBrowsers: Pick<TrustedBrowserService, 'list' | 'revoke'>;
  passkeys: Pick<PasskeyService, 'list' | 'remove' | 'removeAll'>;
}

export type Verifications = Awaited<ReturnType<VerificationService['findByEmail']>>;

export interface PersonReport {
  query: string;
  /** The address asked about, or — asked by user reference — the one the person proved last. */
  email: string | null;
  /** Who this is: each client's person (user reference) linked to the query, and the addresses they proved. */
  people: {
    client: Pick<Client, 'id' | 'name'>;
    userRef: string;
    addresses: { email: string; purpose: string; provenAt: number }[];
  }[];
  verifications: (Verifications[number] & { client: Pick<Client, 'id' | 'name'>; story: AuditEvent[] })[];
  suppressions: (Awaited<ReturnType<SuppressionService['findByEmail']>>[number] & { clientName: string })[];
  /**
   * Per client that has mailed the address (or the one asked about): what a send would be
   * answered now — the verdict, read as the send reads it (domain policy, suppression, every
   * limit) — and each limit's count and reset.
   */
  limits: { client: Pick<Client, 'id' | 'name'>; standing: SendStanding }[];
  authenticators: (Awaited<ReturnType<TotpService['factorsOf']>>[number] & { clientName: string })[];
  /** Each person's recoveries by email, newest first, with where each stands now. */
  recoveries: { client: Pick<Client, 'id' | 'name'>; userRef: string; recovery: Recovery; state: RecoveryStatus }[];
  /** Each person's browsers trusted now (they skip the second factor). */
  trustedBrowsers: {
    client: Pick<Client, 'id' | 'name'>;
    userRef: string;
    browsers: Awaited<ReturnType<TrustedBrowserService['list']>>;
  }[];
  /** Each person's passkeys (what support may remove, and whether a counter went backwards). */
  passkeys: { client: Pick<Client, 'id' | 'name'>; userRef: string; passkeys: ShownPasskey[] }[];
  /** Each person's notices and recoveries as their trail tells them, with each notice's mail (oldest first). */
  stories: { client: Pick<Client, 'id' | 'name'>; userRef: string; story: AuditEvent[] }[];
}

/** An action's reason as the trail keeps it; refused when there is none, or it is too long or holds control characters. */
export function checkedReason(reason: unknown): string {
  const text = typeof reason === 'string' ? reason.trim() : '';
  if (text.length === 0)
    throw refuse({ kind: 'invalid_request', detail: 'a reason is needed: say why, for the trail.' });
  if (text.length > reasonMaxLength)
    throw refuse({ kind: 'invalid_request', detail: `the reason is longer than ${reasonMaxLength} characters.` });
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(text))
    throw refuse({ kind: 'invalid_request', detail: 'the reason has control characters.' });
  return text;
}

/** The operator's action as the trail records it: by whom, and why. */
export function actionContext(
  operator: Operator,
  reason: unknown,
  context: Omit<RequestContext, 'actor'>,
): RequestContext {
  return { ...context, actor: 'operator', operatorId: operator.id, reason: checkedReason(reason) };
}

export class SupportService {
  constructor(private readonly deps: SupportDeps) {}

  /**
   * A person by address or user reference, and the same person either way: an address
   * leads to the people it was proven for (people/), a user reference to the addresses it
   * proved, and the page shows all of them. `clientId` narrows the limits to one client.
   */
  async lookUp(query: string, options: { clientId?: string } = {}): Promise<PersonReport> {
    const q = query.trim();
    const address = q.includes('@') ? normalizeEmail(q) : undefined;
    const asked = address?.ok ? address.email : null;
    const clients = new Map((await this.deps.clients.list()).map((c) => [c.id, c]));
    const named = (id: string) => ({ id, name: clients.get(id)?.name ?? id });
    const linked = (await this.deps.people.linkedTo(asked ? { email: asked } : { userRef: q })).filter((row) =>
      clients.has(row.clientId),
    );
    const unique = <T>(values: T[]) => [...new Set(values)];
    // The address asked about, or the one the person proved last, first.
    const emails = unique([...(asked ? [asked] : []), ...linked.map((row) => row.email)]).slice(0, 5);
    const email = emails[0] ?? null;
    const refs = unique([...(asked ? [] : [q]), ...linked.map((row) => row.userRef)]).slice(0, 5);
    const [found, suppressed, factorLists] = await Promise.all([
      Promise.all(emails.map((e) => this.deps.verification.findByEmail(e))).then((lists) => [
        ...new Map(lists.flat().map((v) => [v.verification.id, v])).values(),
      ]),
      Promise.all(emails.map((e) => this.deps.suppressions.findByEmail(e))).then((lists) => lists.flat()),
      Promise.all(unique([...emails, ...refs]).map((p) => this.deps.totp.factorsOf(p))),
    ]);
    const factors = factorLists
      .flat()
      .filter((f, i, all) => all.findIndex((g) => g.clientId === f.clientId && g.userRef === f.userRef) === i);
    // Each client's person once, with the addresses they proved (newest first, as read).
    const byPerson = new Map<string, PersonReport['people'][number]>();
    for (const { clientId, userRef, email: proven, purpose, provenAt } of linked) {
      const key = `${clientId} ${userRef}`;
      if (!byPerson.has(key)) byPerson.set(key, { client: named(clientId), userRef, addresses: [] });
      byPerson.get(key)!.addresses.push({ email: proven, purpose, provenAt });
    }
    const people = [...byPerson.values()];
    // Only clients an operator can see (not mailcode's own sign-ins).
    const verifications = await Promise.all(
      found
        .filter((v) => clients.has(v.verification.clientId))
        .map(async (v) => {
          const story = await this.deps.events.timeline(v.verification.clientId, v.verification.id);
          return {
            ...v,
            client: named(v.verification.clientId),
            story: story.filter((e) => (deliveryTypes as string[]).includes(e.type)),
          };
        }),
    );
    const limitClients = options.clientId
      ? [options.clientId]
      : [...new Set(verifications.map((v) => v.client.id))].slice(0, 5);
    const limits = email
      ? await Promise.all(
          limitClients
            .filter((id) => clients.has(id))
            .map(async (id) => ({
              client: named(id),
              standing: await this.deps.verification.standing(clients.get(id)!, email),
            })),
        )
      : [];
    // Each client's person once: those the addresses lead to, and those with an authenticator.
    const persons = [
      ...new Map(
        [...people, ...factors.map((f) => ({ client: named(f.clientId), userRef: f.userRef }))]
          .filter((p) => clients.has(p.client.id))
          .map((p) => [`${p.client.id} ${p.userRef}`, { client: p.client, userRef: p.userRef }]),
      ).values(),
    ].slice(0, 5);
    const [recoveries, stories, trustedBrowsers, passkeys] = await Promise.all([
      Promise.all(
        persons.map(async (p) =>
          (await this.deps.recovery.list(clients.get(p.client.id)!, p.userRef))
            .slice(0, 3)
            .map((recovery) => ({ ...p, recovery, state: this.deps.recovery.stateOf(recovery) })),
        ),
      ).then((lists) => lists.flat()),
      Promise.all(
        persons.map(async (p) => ({
          ...p,
          story: (await this.deps.events.timeline(p.client.id, p.userRef)).filter((e) =>
            personStoryTypes.includes(e.type as ClientEventType),
          ),
        })),
      ).then((list) => list.filter((p) => p.story.length > 0)),
      Promise.all(
        persons.map(async (p) => ({
          ...p,
          browsers: await this.deps.trustedBrowsers.list(clients.get(p.client.id)!, p.userRef),
        })),
      ).then((list) => list.filter((p) => p.browsers.length > 0)),
      Promise.all(
        persons.map(async (p) => ({
          ...p,
          passkeys: await this.deps.passkeys.list(clients.get(p.client.id)!, p.userRef),
        })),
      ).then((list) => list.filter((p) => p.passkeys.length > 0)),
    ]);
    return {
      query: q,
      email,
      people,
      recoveries,
      stories,
      trustedBrowsers,
      passkeys,
      verifications,
      suppressions: suppressed
        .filter((s) => clients.has(s.clientId))
        .map((s) => ({ ...s, clientName: named(s.clientId).name })),
      limits,
      authenticators: factors
        .filter((f) => clients.has(f.clientId))
        .map((f) => ({ ...f, clientName: named(f.clientId).name })),
    };
  }

  /** The masked address and subjects a person's events carry (the audit view's person filter). */
  personFilter(query: string): { subjects: string[]; maskedEmail: string | null } {
    const q = query.trim();
    const address = q.includes('@') ? normalizeEmail(q) : undefined;
    return address?.ok
      ? { subjects: [maskEmail(address.email)], maskedEmail: maskEmail(address.email) }
      : { subjects: [q], maskedEmail: null };
  }

  async cancelVerification(
    operator: Operator,
    clientId: string,
    verificationId: string,
    reason: unknown,
    context: Omit<RequestContext, 'actor'>,
  ) {
    const as = actionContext(operator, reason, context);
    await this.deps.verification.cancelVerification(await this.deps.clients.get(clientId), verificationId, as);
  }

  async liftSuppression(
    operator: Operator,
    clientId: string,
    email: string,
    reason: unknown,
    context: Omit<RequestContext, 'actor'>,
  ) {
    const as = actionContext(operator, reason, context);
    await this.deps.suppressions.lift(await this.deps.clients.get(clientId), email, as);
  }

  /**
   * The lost-phone case: the second factors are gone — the authenticator app with its
   * recovery codes, and every passkey; the portal enrols the person again.
   */
  async resetAuthenticator(
    operator: Operator,
    clientId: string,
    userRef: string,
    reason: unknown,
    context: Omit<RequestContext, 'actor'>,
  ) {
    const as = actionContext(operator, reason, context);
    const client = await this.deps.clients.get(clientId);
    const passkeys = await this.deps.passkeys.removeAll(client, userRef, as);
    try {
      await this.deps.totp.reset(client, userRef, as);
    } catch (error) {
      // No app, but passkeys went: the reset did what there was to do.
      if (!(passkeys > 0 && error instanceof DomainError && error.refusal.kind === 'totp_not_enabled')) throw error;
    }
  }

  /** One passkey removed (lost, or one the person does not know); the person is told. */
  async removePasskey(
    operator: Operator,
    clientId: string,
    userRef: string,
    passkeyId: string,
    reason: unknown,
    context: Omit<RequestContext, 'actor'>,
  ) {
    const as = actionContext(operator, reason, context);
    await this.deps.passkeys.remove(await this.deps.clients.get(clientId), userRef, passkeyId, as);
  }

  /** A recovery by email approved early (support knows it is the person): the app goes now. */
  async approveRecovery(
    operator: Operator,
    clientId: string,
    userRef: string,
    recoveryId: string,
    reason: unknown,
    context: Omit<RequestContext, 'actor'>,
  ) {
    const as = actionContext(operator, reason, context);
    return this.deps.recovery.approve(await this.deps.clients.get(clientId), userRef, recoveryId, as);
  }

  /** A recovery by email stopped (the person did not ask for it, or found the phone). */
  async cancelRecovery(
    operator: Operator,
    clientId: string,
    userRef: string,
    recoveryId: string,
    reason: unknown,
    context: Omit<RequestContext, 'actor'>,
  ) {
    const as = actionContext(operator, reason, context);
    return this.deps.recovery.cancel(await this.deps.clients.get(clientId), userRef, recoveryId, as);
  }

  /** A trusted browser trusted no more — or, without `browserId`, every one of the person's. */
  async revokeTrustedBrowsers(
    operator: Operator,
    clientId: string,
    userRef: string,
    browserId: string | undefined,
    reason: unknown,
    context: Omit<RequestContext, 'actor'>,
  ) {
    const as = actionContext(operator, reason, context);
    return this.deps.trustedBrowsers.revoke(await this.deps.clients.get(clientId), userRef, browserId, as);
  }

  /** New recovery codes, to hand to the person; the old ones stop working. */
  async regenerateRecoveryCodes(
    operator: Operator,
    clientId: string,
    userRef: string,
    reason: unknown,
    context: Omit<RequestContext, 'actor'>,
  ) {
    const as = actionContext(operator, reason, context);
    return this.deps.totp.regenerateRecoveryCodes(await this.deps.clients.get(clientId), userRef, as);
  }
}
