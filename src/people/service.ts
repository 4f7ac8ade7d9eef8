// A person of a client, in one answer: the addresses they proved and their authenticator.
// The portal asks by its user reference (GET /people/{userRef}); support finds a person by
// the reference or by an address and sees the same person.
import type { Client } from '../clients/model.js';
import type { NoticeAddress, Person } from './model.js';
import type { PeoplePort } from './ports.js';

/** What the people feature needs to know of a person's authenticator app. */
export interface AuthenticatorLookup {
  status(client: Client, userRef: string): Promise<{ enabled: boolean; enabledSince: number | null }>;
}

export class PeopleService {
  constructor(
    private readonly people: PeoplePort,
    private readonly authenticators: AuthenticatorLookup,
  ) {}

  async person(client: Client, userRef: string): Promise<Person> {
    const [addresses, authenticator] = await Promise.all([
      this.people.addresses(client.id, userRef),
      this.authenticators.status(client, userRef),
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
    };
  }

  /** Where a notice about the person goes: the address they proved last, in its language. */
  async noticeAddress(clientId: string, userRef: string): Promise<NoticeAddress | undefined> {
    const [latest] = await this.people.addresses(clientId, userRef);
    return latest && { email: latest.email, locale: latest.locale };
  }

  /** The people an address was proven for, across clients (support's lookup by address). */
  async provenFor(email: string): Promise<{ clientId: string; userRef: string; provenAt: number }[]> {
    return (await this.people.byAddress(email)).map(({ clientId, userRef, provenAt }) => ({
      clientId,
      userRef,
      provenAt,
    }));
  }
}
