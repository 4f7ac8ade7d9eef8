// The audit trail on the wire: GET /events and a verification's timeline.
import { Type, type Static } from 'typebox';
import { eventTypes, actors } from '../../events/model.js';
import { DateTime } from './common.js';

export const EventType = Type.Enum([...eventTypes], { type: 'string', description: 'What happened.' });

export const Event = Type.Object(
  {
    id: Type.String({ description: 'Stable and unique; the `webhook-id` of every webhook delivery of this event.' }),
    type: EventType,
    occurredAt: DateTime,
    subject: Type.String({
      description: 'The verification id, user reference or (masked) address the event is about.',
    }),
    email: Type.Union([Type.String(), Type.Null()], { description: 'The address, masked (a***@acme.example).' }),
    requestId: Type.Union([Type.String(), Type.Null()], {
      description: 'The API request that caused it (its x-request-id), if any.',
    }),
    actor: Type.Enum([...actors], {
      type: 'string',
      description: 'portal (the API), cli, operator, or mailcode itself (deliveries, expiry).',
    }),
    actorId: Type.Union([Type.String(), Type.Null()], {
      description:
        "The operator (op_…) when the actor is one: an action in mailcode's support console, its reason in `data.reason`.",
    }),
    data: Type.Record(Type.String(), Type.Unknown(), {
      description: 'The facts of this event type; never a code, a secret or an API key.',
    }),
  },
  { additionalProperties: false },
);

export const EventList = Type.Object(
  {
    events: Type.Array(Event, { description: 'Newest first.' }),
    nextCursor: Type.Union([Type.String(), Type.Null()], {
      description: 'Pass as `cursor` for the next, older page; null on the last page.',
    }),
  },
  { additionalProperties: false },
);

/** One event type, as a regular expression (the `type` filter is a comma-separated list of them). */
const oneType = `(${eventTypes.map((t) => t.replace('.', '\\.')).join('|')})`;

export const EventsQuery = Type.Object(
  {
    type: Type.Optional(
      Type.String({
        maxLength: 1000,
        pattern: `^${oneType}(,${oneType})*$`,
        description: 'Event types, comma-separated.',
      }),
    ),
    subject: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 320,
        description: 'A verification id, user reference or masked address.',
      }),
    ),
    cursor: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        pattern: '^ev_[A-Za-z0-9_-]+$',
        description: 'The `nextCursor` of the previous page.',
      }),
    ),
    limit: Type.Optional(
      Type.String({
        pattern: '^[1-9][0-9]{0,2}$',
        description: 'Events per page, 1-200 (default 50); a larger number is read as 200.',
      }),
    ),
  },
  { additionalProperties: false },
);

/** A step of a verification's timeline. */
export const TimelineEntry = Type.Object(
  { type: EventType, at: DateTime, data: Type.Record(Type.String(), Type.Unknown()) },
  { additionalProperties: false },
);

export type Event = Static<typeof Event>;
export type EventList = Static<typeof EventList>;
