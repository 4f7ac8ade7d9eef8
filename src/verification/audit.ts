// The audit events a verification's own changes record, where no flow builds them.
import { event, type RequestContext, type NewEvent } from '../events/model.js';
import { maskEmail } from './email-address.js';
import type { Verification } from './model.js';

/** Who and what an event about this verification names. */
export const aboutVerification = (v: Pick<Verification, 'id' | 'clientId' | 'email'>) => ({
  clientId: v.clientId,
  subject: v.id,
  maskedEmail: maskEmail(v.email),
});

export const canceledEvent = (
  v: Pick<Verification, 'id' | 'clientId' | 'email'>,
  now: number,
  context: RequestContext,
): NewEvent => event('verification.canceled', now, aboutVerification(v), context);
