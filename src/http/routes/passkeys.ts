// Passkeys: a person registers one (the portal hands the options to the browser and its
// answer back); a person signs in with one — by user reference, or usernameless from the
// browser's autofill; the portal lists, renames and removes them.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { FastifyInstance } from 'fastify';
import { type PasskeyService, type ShownPasskey, shown } from '../../passkeys/service.js';
import { operation, routeOf } from '../operation.js';
import {
  CeremonyOptions,
  FinishAuthenticationRequest,
  FinishRegistrationRequest,
  Passkey,
  PasskeyList,
  PasskeyParams,
  PasskeySignIn,
  PersonPasskeysParams,
  RelatedOrigins,
  RenamePasskeyRequest,
  StartAuthenticationRequest,
  StartRegistrationRequest,
} from '../schemas/passkeys.js';
import { byPortal, iso } from '../wire.js';

export const describedPasskey = (p: ShownPasskey) => ({
  ...p,
  createdAt: iso(p.createdAt),
  lastUsedAt: p.lastUsedAt === null ? null : iso(p.lastUsedAt),
  counterWentBackAt: p.counterWentBackAt === null ? null : iso(p.counterWentBackAt),
});

const notSetUp = 'passkeysNotSetUp' as const;

export const startPasskeyRegistration = operation({
  method: 'POST',
  url: '/people/:userRef/passkeys/registrations',
  schema: { params: PersonPasskeysParams, body: StartRegistrationRequest, response: { 200: CeremonyOptions } },
  operationId: 'startPasskeyRegistration',
  summary: 'The options for a new passkey of this person (`navigator.credentials.create`)',
  description:
    "Fetch them before the person's click, and start the browser's ceremony straight from the click (Safari drops a ceremony started after a `fetch`). The person's passkeys are excluded, so an authenticator does not make a second one.\n",
  responses: { 200: 'The options, for `startRegistration({ optionsJSON })`.' },
  optionalBody: true,
  problems: [notSetUp, 'tooManyPasskeys'],
});

export const finishPasskeyRegistration = operation({
  method: 'POST',
  url: '/people/:userRef/passkeys/registrations/finish',
  schema: {
    params: PersonPasskeysParams,
    body: FinishRegistrationRequest,
    response: { 201: Passkey },
  },
  operationId: 'finishPasskeyRegistration',
  summary: "The browser's answer: the passkey is kept, and the person is mailed a notice",
  responses: { 201: 'The passkey.' },
  problems: [notSetUp, 'passkeyChallengeRefused', 'passkeyChallengeExpired', 'passkeyRefused', 'tooManyPasskeys'],
});

export const listPasskeys = operation({
  method: 'GET',
  url: '/people/:userRef/passkeys',
  schema: { params: PersonPasskeysParams, response: { 200: PasskeyList } },
  operationId: 'listPasskeys',
  summary: "The person's passkeys",
  responses: { 200: 'Newest first.' },
});

export const renamePasskey = operation({
  method: 'PATCH',
  url: '/people/:userRef/passkeys/:id',
  schema: { params: PasskeyParams, body: RenamePasskeyRequest, response: { 200: Passkey } },
  operationId: 'renamePasskey',
  summary: 'A new name for one of the person’s passkeys',
  responses: { 200: 'The passkey, renamed.' },
  problems: ['passkeyNotFound'],
});

export const removePasskey = operation({
  method: 'DELETE',
  url: '/people/:userRef/passkeys/:id',
  schema: { params: PasskeyParams },
  operationId: 'removePasskey',
  summary: 'Remove one of the person’s passkeys; they are mailed a notice',
  description:
    'Browsers that support it can be told too (`PublicKeyCredential.signalUnknownCredential`), so the passkey leaves the person’s manager.\n',
  responses: { 204: 'Removed.' },
  problems: ['passkeyNotFound'],
});

export const startPasskeySignIn = operation({
  method: 'POST',
  url: '/passkeys/authentications',
  schema: { body: StartAuthenticationRequest, response: { 200: CeremonyOptions } },
  operationId: 'startPasskeySignIn',
  summary: 'The options for a sign-in with a passkey (`navigator.credentials.get`)',
  description:
    'With `userRef`, that person\'s passkeys are offered (an unknown person gets options all the same). Without it — where the client lets a passkey sign in alone — any discoverable passkey: render them with the page and pass them to `startAuthentication({ optionsJSON, useBrowserAutofill: true })` for the autofill on the address field (`autocomplete="username webauthn"`).\n',
  responses: { 200: 'The options, for `startAuthentication({ optionsJSON })`.' },
  optionalBody: true,
  problems: [notSetUp, 'firstFactorNeeded'],
});

export const finishPasskeySignIn = operation({
  method: 'POST',
  url: '/passkeys/authentications/finish',
  schema: { body: FinishAuthenticationRequest, response: { 200: PasskeySignIn } },
  operationId: 'finishPasskeySignIn',
  summary: "The browser's answer to a sign-in: the signed assertion of the passkey's person",
  description:
    "A passkey is the second factor after the person's email assertion (`firstFactor`), or — where the client allows — the only one. A sign counter that goes backwards is recorded (`passkey.counter_went_back`) and refused only where the client says so. A sign-in cancels a recovery by email under way.\n",
  responses: { 200: 'The assertion.' },
  problems: [
    notSetUp,
    'passkeyChallengeRefused',
    'passkeyChallengeExpired',
    'passkeyRefused',
    'firstFactorNeeded',
    'firstFactorRefused',
  ],
});

export const passkeyRelatedOrigins = operation({
  method: 'GET',
  url: '/passkeys/related-origins',
  schema: { response: { 200: RelatedOrigins } },
  operationId: 'passkeyRelatedOrigins',
  summary: 'What the portal serves at `https://{rpId}/.well-known/webauthn`',
  description:
    "A portal on several domains shares one relying party: browsers read this list at the relying party's own domain (Related Origin Requests) before they let another origin use its passkeys.\n",
  responses: { 200: 'The client’s origins.' },
  problems: [notSetUp],
});

export const passkeyOperations = [
  startPasskeyRegistration,
  finishPasskeyRegistration,
  listPasskeys,
  renamePasskey,
  removePasskey,
  startPasskeySignIn,
  finishPasskeySignIn,
  passkeyRelatedOrigins,
];

export function registerPasskeyRoutes(scope: FastifyInstance, passkeys: PasskeyService) {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.route({
    ...routeOf(startPasskeyRegistration),
    handler: async (request) => ({
      options: await passkeys.startRegistration(request.client!, request.params.userRef, request.body),
    }),
  });
  app.route({
    ...routeOf(finishPasskeyRegistration),
    handler: async (request, reply) => {
      const passkey = await passkeys.finishRegistration(
        request.client!,
        request.params.userRef,
        { response: request.body.response as RegistrationResponseJSON, name: request.body.name },
        byPortal(request),
      );
      return reply.code(201).send(describedPasskey(shown(passkey)));
    },
  });
  app.route({
    ...routeOf(listPasskeys),
    handler: async (request) => ({
      passkeys: (await passkeys.list(request.client!, request.params.userRef)).map(describedPasskey),
    }),
  });
  app.route({
    ...routeOf(renamePasskey),
    handler: async (request) =>
      describedPasskey(
        await passkeys.rename(
          request.client!,
          request.params.userRef,
          request.params.id,
          request.body.name,
          byPortal(request),
        ),
      ),
  });
  app.route({
    ...routeOf(removePasskey),
    handler: async (request, reply) => {
      await passkeys.remove(request.client!, request.params.userRef, request.params.id, byPortal(request));
      return reply.code(204).send();
    },
  });
  app.route({
    ...routeOf(startPasskeySignIn),
    handler: async (request) => ({ options: await passkeys.startAuthentication(request.client!, request.body) }),
  });
  app.route({
    ...routeOf(finishPasskeySignIn),
    handler: async (request) => {
      const signedIn = await passkeys.finishAuthentication(
        request.client!,
        { response: request.body.response as AuthenticationResponseJSON, firstFactor: request.body.firstFactor },
        byPortal(request),
      );
      return {
        verified: true as const,
        method: 'passkey' as const,
        userRef: signedIn.userRef,
        assertion: signedIn.assertion,
        expiresAt: iso(signedIn.expiresAt),
        amr: signedIn.claims.amr,
        acr: signedIn.claims.acr,
        counterWentBack: signedIn.counterWentBack,
        passkey: describedPasskey(shown(signedIn.passkey)),
      };
    },
  });
  app.route({
    ...routeOf(passkeyRelatedOrigins),
    handler: async (request) => passkeys.relatedOrigins(request.client!),
  });
}
