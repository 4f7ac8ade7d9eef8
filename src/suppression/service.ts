// Suppressions as the portal and the operator see them: list what still lasts, lift one.
import type { Client } from '../clients/model.js';
import { event, type RequestContext } from '../events/model.js';
import { refuse } from './refusals.js';
import { maskEmail, normalizeEmail } from '../verification/email-address.js';
import type { Suppression } from './model.js';
import type { SuppressionsPort } from './ports.js';

export class SuppressionService {
  constructor(
    private readonly suppressions: SuppressionsPort,
    private readonly now: () => number,
  ) {}

  list(client: Pick<Client, 'id'>): Promise<Suppression[]> {
    return this.suppressions.list(client.id, this.now());
  }

  /** Every client's suppression of the address that still lasts (support's lookup). */
  async findByEmail(email: string): Promise<Suppression[]> {
    const address = normalizeEmail(email);
    return address.ok ? this.suppressions.findByEmail(address.email, this.now()) : [];
  }

  /** Lets mail go to the address again (the person fixed their mailbox, or it was a mistake). */
  async lift(client: Pick<Client, 'id'>, email: string, context: RequestContext): Promise<void> {
    const address = normalizeEmail(email);
    if (!address.ok) throw refuse({ kind: 'invalid_request', detail: `email ${address.reason}.` });
    const masked = maskEmail(address.email);
    const lifted = event(
      'address.lifted',
      this.now(),
      { clientId: client.id, subject: masked, maskedEmail: masked },
      context,
    );
    if (!(await this.suppressions.lift(client.id, address.email, [lifted])))
      throw refuse({ kind: 'suppression_not_found', detail: `${address.email} is not suppressed for ${client.id}` });
  }
}
