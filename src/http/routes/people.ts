// GET /people/{userRef}: a person of the calling client, in one answer — the addresses
// proven for them and their authenticator app.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { PeopleService } from '../../people/service.js';
import { operation, routeOf } from '../operation.js';
import { Person, PersonParams } from '../schemas/people.js';
import { iso } from '../wire.js';
import { describedPasskey } from './passkeys.js';

export const getPerson = operation({
  method: 'GET',
  url: '/people/:userRef',
  schema: { params: PersonParams, response: { 200: Person } },
  operationId: 'getPerson',
  summary: 'A person of the portal: the addresses proven for their user reference, and their authenticator app',
  description:
    'An unknown user reference is a person with nothing proven yet (an empty list, no authenticator): the answer does not tell one from the other.',
  responses: { 200: 'The person, as far as mailcode knows them.' },
});

export const peopleOperations = [getPerson];

export function registerPeopleRoutes(scope: FastifyInstance, people: PeopleService) {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.route({
    ...routeOf(getPerson),
    handler: async (request) => {
      const person = await people.person(request.client!, request.params.userRef);
      return {
        userRef: person.userRef,
        addresses: person.addresses.map((a) => ({ ...a, provenAt: iso(a.provenAt) })),
        authenticator: person.authenticator && {
          enabledAt: person.authenticator.enabledAt === null ? null : iso(person.authenticator.enabledAt),
        },
        passkeys: person.passkeys.map(describedPasskey),
        recovery: person.recovery && {
          ...person.recovery,
          completesAt: person.recovery.completesAt === null ? null : iso(person.recovery.completesAt),
        },
      };
    },
  });
}
