// The trail as operators read it: every client's and mailcode's own, filtered by operator,
// person, client and type, newest first, page by page.
import type { FastifyInstance } from 'fastify';
import { eventTypes, serviceEventTypes, type EventType } from '../../events/model.js';
import type { ConsoleServices } from '../services.js';
import { param } from '../forms.js';
import { page } from '../views.js';

const allTypes: readonly string[] = [...eventTypes, ...serviceEventTypes];

export function registerAuditRoutes(app: FastifyInstance, services: ConsoleServices) {
  app.get('/audit', async (request, reply) => {
    const filters = { operator: param(request, 'operator', 64), person: param(request, 'person'), client: param(request, 'client', 64), type: param(request, 'type', 64) };
    const cursor = param(request, 'cursor', 64);
    const result = await services.events.search({
      actorId: filters.operator || undefined,
      clientId: filters.client || undefined,
      types: allTypes.includes(filters.type) ? [filters.type as EventType] : undefined,
      person: filters.person ? services.support.personFilter(filters.person) : undefined,
      cursor: /^ev_[A-Za-z0-9_-]+$/.test(cursor) ? cursor : undefined,
      limit: 50,
    });
    const [operators, clients] = await Promise.all([services.operators.list(), services.clients.list()]);
    const next = result.nextCursor ? `?${new URLSearchParams({ ...filters, cursor: result.nextCursor }).toString()}` : null;
    return page(request, reply, 'audit', { title: 'Audit trail', filters, events: result.events, next, operators, clients, types: allTypes, operatorEmail: new Map(operators.map((o) => [o.id, o.email])) });
  });
}
