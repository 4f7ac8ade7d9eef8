// Actions that cannot be taken back — resetting a person's authenticator, rotating a
// client's API key, revoking a client — take two steps: the first post shows what will
// happen and asks again; only the post from that page (confirm=yes) does it. No script:
// the second step is a form of its own, carrying the first one's fields.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { field } from './forms.js';
import { page } from './views.js';

export interface Confirmation {
  /** The question, as the page's title: "Reset the authenticator of u-42 at Acme Portal?" */
  title: string;
  /** What happens, each a sentence. */
  consequences: string[];
  /** The button that does it: "Yes, reset it". */
  yes: string;
  /** Where "No" goes back to. */
  back: string;
  /** The first form's fields, posted again with the answer (the CSRF token is the page's own). */
  fields: Record<string, string>;
}

/** Whether this post is the answer to the confirmation page. */
export const confirmed = (request: FastifyRequest) => field(request, 'confirm', 3) === 'yes';

/** The page that asks again, posting to the same address. */
export function askAgain(request: FastifyRequest, reply: FastifyReply, confirmation: Confirmation) {
  return page(request, reply, 'confirm', { ...confirmation, action: request.url.split('?')[0] });
}
