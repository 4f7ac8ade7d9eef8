// An operation of the API, declared once, at its route: Fastify validates with its `schema`
// and serializes with its success responses, and openapi.ts describes it from the same
// object — what it is for, what each success means, and which problems it answers.
import type { FastifyRequest, FastifySchema } from 'fastify';
import type { ProblemName } from './problems.js';

/** A success's meaning; its JSON schema is the route's `schema.response` for that status, or `content` says what else it is. */
export type Success = string | { description: string; content: Record<string, object> };

export interface Operation<S extends FastifySchema = FastifySchema> {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Fastify's form: `/verifications/:id`. */
  url: string;
  schema: S;
  operationId: string;
  summary: string;
  description?: string;
  responses: Record<number, Success>;
  /**
   * The problems the operation itself answers with. Those every operation of its kind
   * gives are added by openapi.ts: bad input for one with a body or parameters, and a
   * missing key and the per-client request limit for one behind an API key.
   */
  problems?: ProblemName[];
  /** Request body examples by name (one named `example` is shown as the example); without a body, an example value per query parameter. */
  examples?: Record<string, unknown>;
  /** Open to anyone: no API key, no per-client limit. */
  open?: true;
  /** Every member of the body is optional, so the body itself may be left out (taken as `{}`). */
  optionalBody?: true;
}

/** Keeps the schema's own type, so the route's handler is typed from it. */
export const operation = <S extends FastifySchema>(declared: Operation<S>): Operation<S> => declared;

/** What `app.route` takes of an operation; a body that may be left out is validated as `{}`. */
export const routeOf = <S extends FastifySchema>({ method, url, schema, optionalBody }: Operation<S>) => ({
  method,
  url,
  schema,
  ...(optionalBody
    ? {
        // Left out, not `null`: a JSON null is a body of the wrong type, a 400.
        preValidation: async (request: FastifyRequest) => {
          if (request.body === undefined) request.body = {};
        },
      }
    : {}),
});
