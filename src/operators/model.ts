// The people who run mailcode: operators of the support console, each with a role. Admins
// manage clients, keys, domains, DKIM, webhooks and operators; support looks people up and
// helps them, and cannot change settings. An operator signs in with mailcode's own flows
// (a mailed code, then an authenticator app), so an operator is an address and a role.
import { serviceClientId } from '../clients/model.js';
import { maskEmail } from '../verification/email-address.js';

export const operatorRoles = ['admin', 'support'] as const;
export type OperatorRole = (typeof operatorRoles)[number];

export interface Operator {
  /** op_… */
  id: string;
  /** Normalized (lower-case, punycode domain): where the sign-in code is mailed. */
  email: string;
  role: OperatorRole;
  createdAt: number;
  /** A disabled operator cannot sign in, and their sessions end at once. */
  disabledAt: number | null;
}

/**
 * The trail's scope for what concerns mailcode itself rather than one client (its
 * operators, their sign-ins): mailcode's own client's, whose id no client's `GET /events`
 * or webhooks ever see.
 */
export const serviceScope = serviceClientId;

/** What an operator's events are about: the operator, in the service-wide trail, the address masked. */
export const aboutOperator = (operator: Pick<Operator, 'id' | 'email'>) => ({
  clientId: serviceScope,
  subject: operator.id,
  maskedEmail: maskEmail(operator.email),
});
