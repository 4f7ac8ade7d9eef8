// The trail as operators read it: every client's (and, a click away, mailcode's own sign-ins
// and operators' changes), filtered by operator, person, client and type, newest first,
// page by page — in words: what happened, in which client, who did it and why, the facts
// with dates (event-words.ts).
import type { FastifyInstance } from 'fastify';
import { eventTypes, serviceEventTypes, type EventType } from '../../events/model.js';
import { serviceScope } from '../../operators/model.js';
import type { ConsoleServices } from '../services.js';
import { eventWords, factsOf, trailName, whoDid } from '../event-words.js';
import { param } from '../forms.js';
import { page } from '../views.js';

const allTypes: readonly EventType[] = [...eventTypes, ...serviceEventTypes];
/** The client filter's word for every trail, mailcode's own included. */
export const everyTrail = '*';

export function registerAuditRoutes(app: FastifyInstance, services: ConsoleServices) {
  app.get('/audit', async (request, reply) => {
    const filters = {
      operator: param(request, 'operator', 64),
      person: param(request, 'person'),
      client: param(request, 'client', 64),
      type: param(request, 'type', 64),
    };
    const cursor = param(request, 'cursor', 64);
    const client =
      filters.client === everyTrail
        ? {}
        : filters.client
          ? { clientId: filters.client }
          : { exceptClientId: serviceScope };
    const result = await services.events.search({
      actorId: filters.operator || undefined,
      ...client,
      types: (allTypes as readonly string[]).includes(filters.type) ? [filters.type as EventType] : undefined,
      person: filters.person ? services.support.personFilter(filters.person) : undefined,
      cursor: /^ev_[A-Za-z0-9_-]+$/.test(cursor) ? cursor : undefined,
      limit: 50,
    });
    const [operators, clients] = await Promise.all([services.operators.list(), services.clients.list()]);
    const operatorEmail = new Map(operators.map((o) => [o.id, o.email]));
    const clientName = new Map(clients.map((c) => [c.id, c.name]));
    const rows = result.events.map((e) => ({
      event: e,
      what: eventWords[e.type] ?? e.type,
      trail: trailName(e.clientId, clientName),
      who: whoDid(e, operatorEmail),
      ...factsOf(e),
    }));
    const next = result.nextCursor
      ? `?${new URLSearchParams({ ...filters, cursor: result.nextCursor }).toString()}`
      : null;
    const types = allTypes.map((type) => ({ type, words: eventWords[type] }));
    return page(request, reply, 'audit', {
      title: 'Audit trail',
      filters,
      rows,
      next,
      operators,
      clients,
      types,
      everyTrail,
      serviceScope,
    });
  });
}
