// A person of a client, in one answer: the addresses they proved and their authenticator.
// The portal asks by its user reference (GET /people/{userRef}); support finds a person by
// the reference or by an address and sees the same person.
import type { Client } from '../clients/model.js';
import type { NoticeAddress, PendingRecovery, Person, PersonPasskey } from './model.js';
import type { PeoplePort, ProvenRow } from './ports.js';

/** What the people feature needs to know of a person's authenticator app. */
export interface AuthenticatorLookup {
  status(client: Client, userRef: string): Promise<{ enabled: boolean; enabledSince: number | null }>;
}

/** What the people feature needs to know of a person's passkeys. */
export interface PasskeyLookup {
  list(client: Client, userRef: string): Promise<PersonPasskey[]>;
}

/** What the people feature needs to know of a recovery by email under way. */
export interface RecoveryLookup {
  pending(client: Client, userRef: string): Promise<PendingRecovery | undefined>;
}

export class PeopleService {
  constructor(
    private readonly people: PeoplePort,
    private readonly authenticators: AuthenticatorLookup,
    private readonly recoveries: RecoveryLookup,
    private readonly passkeys: PasskeyLookup,
  ) {}

  async person(client: Client, userRef: string): Promise<Person> {
    const [addresses, authenticator, recovery, passkeys] = await Promise.all([
      this.people.addresses(client.id, userRef),
      this.authenticators.status(client, userRef),
      this.recoveries.pending(client, userRef),
      this.passkeys.list(client, userRef),
    ]);
    return {
      userRef,
      addresses: addresses.map(({ email, purpose, provenAt, verificationId }) => ({
        email,
        purpose,
        provenAt,
        verificationId,
      })),
      authenticator: authenticator.enabled ? { enabledAt: authenticator.enabledSince } : null,
      recovery: recovery ?? null,
      passkeys,
    };
  }

  /** Where a notice about the person goes: the address they proved last, in its language. */
  async noticeAddress(clientId: string, userRef: string): Promise<NoticeAddress | undefined> {
    const [latest] = await this.people.addresses(clientId, userRef);
    return latest && { email: latest.email, locale: latest.locale };
  }

  /**
   * Support's lookup, across clients: what links to an address (the people it was proven
   * for, and their other addresses) or to a user reference (the addresses proven for it).
   */
  async linkedTo(query: { email: string } | { userRef: string }): Promise<ProvenRow[]> {
    const direct =
      'email' in query ? await this.people.byAddress(query.email) : await this.people.byUserRef(query.userRef);
    if (!('email' in query)) return direct;
    const people = new Map(direct.map((row) => [`${row.clientId} ${row.userRef}`, row]));
    const theirs = await Promise.all(
      [...people.values()].slice(0, 10).map((row) => this.people.addresses(row.clientId, row.userRef)),
    );
    return theirs.flat();
  }
}
