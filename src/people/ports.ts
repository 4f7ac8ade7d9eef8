// What the people feature reads: the addresses proven for a person (written by a right code
// in the verification's own transaction, verification/proven.ts).
import type { Purpose } from '../verification/model.js';

export interface ProvenRow {
  clientId: string;
  userRef: string;
  email: string;
  purpose: Purpose;
  provenAt: number;
  verificationId: string;
  /** The language the proving code was mailed in, while its verification is kept. */
  locale: string | null;
}

export interface PeoplePort {
  /** A person's proven addresses, newest proof first. */
  addresses(clientId: string, userRef: string): Promise<ProvenRow[]>;
  /** Support's lookup by address, across clients: the people it was proven for. */
  byAddress(email: string): Promise<ProvenRow[]>;
  /** Support's lookup by user reference, across clients: every address proven for it. */
  byUserRef(userRef: string): Promise<ProvenRow[]>;
}
