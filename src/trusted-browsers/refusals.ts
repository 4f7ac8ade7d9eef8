// What trusting a browser, and signing in with one, refuse.
import { type InvalidRequest, invalidRequest, type RefusalTable, refuser } from '../shared/domain-error.js';

export type TrustedBrowserRefusal =
  | InvalidRequest
  /** Not a token of a browser this person trusts now, or not from that browser: ask for the second factor. */
  | { kind: 'trusted_browser_refused' }
  /** The person's last email proof is older than the client's membership window: ask for a code first. */
  | { kind: 'email_proof_needed'; provenAt: number | null }
  | { kind: 'trusted_browser_not_found' }
  /** The client signs its people in with a passkey: no browser stands in for it. */
  | { kind: 'passkey_required' };

export const trustedBrowserRefusals: RefusalTable<TrustedBrowserRefusal> = {
  invalid_request: invalidRequest,
  trusted_browser_refused: {
    status: 422,
    title: 'Trusted browser refused',
    means:
      'no browser this person trusts now holds this token (or the request is not from it): ask for the second factor',
    detail: () => 'This browser is not trusted for this person now; ask for the second factor.',
  },
  email_proof_needed: {
    status: 409,
    title: 'Email proof needed',
    means: "the person's last email proof is older than the client's membership window: send a code first (`provenAt`)",
    detail: () =>
      "The person's address was last proven too long ago: prove it with a code, then the browser stands in again.",
    extra: (r) => ({ provenAt: r.provenAt === null ? null : new Date(r.provenAt).toISOString() }),
  },
  passkey_required: {
    status: 409,
    title: 'Passkey required',
    means: 'the client requires a passkey sign-in (`--passkey-required`): no trusted browser stands in for it',
    detail: () => 'This client requires a passkey sign-in; a trusted browser does not stand in for it.',
  },
  trusted_browser_not_found: {
    status: 404,
    title: 'Trusted browser not found',
    means: 'no such trusted browser for this person',
    detail: () => 'No such trusted browser for this user reference.',
  },
};

export const refuse = refuser(trustedBrowserRefusals);
