// What support reads first about an address and a client: the send's own answer now, in
// words (the verdict of verification/standing.ts: domain policy, suppression, every limit,
// in the order a send checks them), and what the portal was told for it.
import type { SendStanding } from '../verification/model.js';
import { helpers } from './views.js';

export const limitNames: Record<string, string> = {
  cooldown: 'Wait between two codes (resend cooldown)',
  guessing: 'Wrong codes for this address, per hour',
  email_hour: 'Codes to this address, per hour',
  email_day: 'Codes to this address, per day',
  domain_hour: 'Mails to this domain, per hour',
  global_minute: 'Mails from mailcode, per minute',
};

export function verdictText(standing: SendStanding, email: string, now: number): { refused: boolean; text: string } {
  const verdict = standing.verdict;
  if (!verdict) return { refused: false, text: `A code to ${email} can be sent now.` };
  switch (verdict.kind) {
    case 'domain_not_allowed':
      return {
        refused: true,
        text: `This client mails no code to ${email}: ${verdict.reason}. The portal is answered 422 (domain_not_allowed); only an admin can change the client's domains.`,
      };
    case 'suppressed':
      return {
        refused: true,
        text: `A code to ${email} is refused now: mail to it bounced (${verdict.reason}), and the address is suppressed until ${helpers.when(verdict.until)} (in ${helpers.duration(verdict.until - now)}). The portal is answered 422 (address_undeliverable). Lifting the suppression lets a code go at once.`,
      };
    case 'limited':
      return {
        refused: true,
        text: `A code to ${email} is refused now: ${limitNames[verdict.limit] ?? verdict.limit}. Allowed again at ${helpers.when(now + verdict.retryAfterMs)} (in ${helpers.duration(verdict.retryAfterMs)}). The portal is answered 429 (rate_limited).`,
      };
  }
}
