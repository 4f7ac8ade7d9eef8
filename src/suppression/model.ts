// An address a client's mail bounced hard from: mailcode sends it no code until `until`,
// so a portal learns at once that the address cannot receive mail instead of waiting for a
// code that never comes.

export interface Suppression {
  clientId: string;
  email: string;
  /** The refusal that caused it, e.g. "550 5.1.1 <a***@acme.example>: mailbox unknown", addresses masked. */
  reason: string;
  enhancedStatus: string | null;
  /** The verification whose mail bounced. */
  verificationId: string | null;
  createdAt: number;
  until: number;
}
