// GET /events: the calling client's own audit trail, newest first, page by page.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AuditEvent, ClientEventType, EventType } from '../../events/model.js';
import type { EventsService } from '../../events/service.js';
import { operation, routeOf } from '../operation.js';
import { EventList, EventsQuery } from '../schemas/events.js';
import { iso } from '../wire.js';

export const listEvents = operation({
  method: 'GET',
  url: '/events',
  schema: { querystring: EventsQuery, response: { 200: EventList } },
  operationId: 'listEvents',
  summary: "The client's own audit trail, newest first, page by page (kept EVENT_RETENTION_DAYS, default 30)",
  responses: { 200: 'A page of events.' },
  examples: { type: 'mail.bounced,mail.deferred' },
});

export const eventOperations = [listEvents];

/** The `type` filter; its schema's pattern admits known types only (a typo is a 400, not an empty page). */
const typesOf = (list: string | undefined) => list?.split(',') as EventType[] | undefined;

export const eventOnTheWire = (e: AuditEvent) => ({
  id: e.id,
  // A client's trail holds client event types only: the service-wide ones (operators) are
  // written under a scope no client id equals.
  type: e.type as ClientEventType,
  occurredAt: iso(e.at),
  subject: e.subject,
  email: e.maskedEmail,
  requestId: e.requestId,
  actor: e.actor,
  actorId: e.actorId,
  data: e.data,
});

/** Registered inside the API-key scope (routes/client-api.ts). */
export function registerEventRoutes(scope: FastifyInstance, events: EventsService) {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.route({
    ...routeOf(listEvents),
    handler: async (request) => {
      const q = request.query;
      const page = await events.list(request.client!, {
        types: typesOf(q.type),
        subject: q.subject,
        cursor: q.cursor,
        limit: q.limit === undefined ? undefined : Number(q.limit),
      });
      return { events: page.events.map(eventOnTheWire), nextCursor: page.nextCursor };
    },
  });
}
