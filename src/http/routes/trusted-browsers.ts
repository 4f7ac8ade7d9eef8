// Trusted browsers: after a full sign-in the portal trusts the browser; at the next sign-in
// the browser's token stands in for the second factor; the person (or support) ends them.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { shown as Shown, TrustedBrowserService } from '../../trusted-browsers/service.js';
import { operation, routeOf } from '../operation.js';
import {
  PersonBrowsersParams,
  TrustBrowserRequest,
  TrustedBrowserCreated,
  TrustedBrowserList,
  TrustedBrowserParams,
  TrustedSignIn,
  TrustedSignInRequest,
} from '../schemas/trusted-browsers.js';
import { byPortal, iso } from '../wire.js';

const described = (b: ReturnType<typeof Shown>) => ({
  id: b.id,
  label: b.label,
  createdAt: iso(b.createdAt),
  lastUsedAt: iso(b.lastUsedAt),
  expiresAt: iso(b.expiresAt),
});

export const trustBrowser = operation({
  method: 'POST',
  url: '/people/:userRef/trusted-browsers',
  schema: { params: PersonBrowsersParams, body: TrustBrowserRequest, response: { 201: TrustedBrowserCreated } },
  operationId: 'trustBrowser',
  summary: 'After a full sign-in: trust this browser, so the next sign-ins on it skip the second factor',
  description:
    "The token is shown once: keep it in the browser (an HttpOnly cookie) beside the cookie whose hash is `browserBinding`. Trusted for the client's `--trusted-browser-days` (30 by default), and no longer than 14 days unused. The person is mailed a notice.\n",
  responses: { 201: 'The browser, trusted, with its token.' },
  examples: { example: { browserBinding: 'kq3V9nB2x7T1oLwE5aRzQm8YpC4sJ6dH', label: 'Firefox on Windows' } },
});

export const signInTrustedBrowser = operation({
  method: 'POST',
  url: '/people/:userRef/trusted-browser-sign-ins',
  schema: { params: PersonBrowsersParams, body: TrustedSignInRequest, response: { 200: TrustedSignIn } },
  operationId: 'signInTrustedBrowser',
  summary: "At a sign-in: the trusted browser's token stands in for the second factor, once",
  description:
    "The answer's `token` replaces the one sent. A token of no browser the person trusts now, or sent with another browser's binding, is 422 `trusted_browser_refused`: ask for the second factor. A token shown again after it was replaced ends the trust. A person whose last email proof is older than the client's membership window (30 days by default) gets 409 `email_proof_needed`: send them a code first.\n",
  responses: { 200: 'The assertion, and the next token.' },
  problems: ['trustedBrowserRefused', 'emailProofNeeded', 'passkeyRequired'],
});

export const listTrustedBrowsers = operation({
  method: 'GET',
  url: '/people/:userRef/trusted-browsers',
  schema: { params: PersonBrowsersParams, response: { 200: TrustedBrowserList } },
  operationId: 'listTrustedBrowsers',
  summary: 'The browsers the person trusts now',
  responses: { 200: 'Trusted now, newest first.' },
});

export const revokeTrustedBrowser = operation({
  method: 'DELETE',
  url: '/people/:userRef/trusted-browsers/:id',
  schema: { params: TrustedBrowserParams },
  operationId: 'revokeTrustedBrowser',
  summary: 'End the trust of one browser',
  responses: { 204: 'Ended.' },
  problems: ['trustedBrowserNotFound'],
});

export const revokeAllTrustedBrowsers = operation({
  method: 'DELETE',
  url: '/people/:userRef/trusted-browsers',
  schema: { params: PersonBrowsersParams },
  operationId: 'revokeAllTrustedBrowsers',
  summary: "End the trust of every one of the person's browsers",
  responses: { 204: 'Ended (or there were none).' },
});

export const trustedBrowserOperations = [
  trustBrowser,
  signInTrustedBrowser,
  listTrustedBrowsers,
  revokeTrustedBrowser,
  revokeAllTrustedBrowsers,
];

export function registerTrustedBrowserRoutes(scope: FastifyInstance, browsers: TrustedBrowserService) {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.route({
    ...routeOf(trustBrowser),
    handler: async (request, reply) => {
      const { browser, token } = await browsers.trust(
        request.client!,
        request.params.userRef,
        request.body,
        byPortal(request),
      );
      return reply.code(201).send({ ...described(browser), token });
    },
  });
  app.route({
    ...routeOf(signInTrustedBrowser),
    handler: async (request) => {
      const signedIn = await browsers.signIn(request.client!, request.params.userRef, request.body, byPortal(request));
      return {
        verified: true as const,
        method: 'trusted_browser' as const,
        assertion: signedIn.assertion,
        expiresAt: iso(signedIn.expiresAt),
        token: signedIn.token,
        trustedUntil: iso(signedIn.browser.expiresAt),
      };
    },
  });
  app.route({
    ...routeOf(listTrustedBrowsers),
    handler: async (request) => ({
      trustedBrowsers: (await browsers.list(request.client!, request.params.userRef)).map(described),
    }),
  });
  app.route({
    ...routeOf(revokeTrustedBrowser),
    handler: async (request, reply) => {
      await browsers.revoke(request.client!, request.params.userRef, request.params.id, byPortal(request));
      return reply.code(204).send();
    },
  });
  app.route({
    ...routeOf(revokeAllTrustedBrowsers),
    handler: async (request, reply) => {
      await browsers.revoke(request.client!, request.params.userRef, undefined, byPortal(request));
      return reply.code(204).send();
    },
  });
}
