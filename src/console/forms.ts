// Reading the console's form posts: each field a string of bounded length, or absent.
import type { FastifyRequest } from 'fastify';
import type { RequestContext } from '../events/model.js';

/** A form field as text (trimmed), or '' when it is missing, repeated or longer than `max`. */
export function field(request: FastifyRequest, name: string, max = 320): string {
  const value = (request.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' && value.length <= max ? value.trim() : '';
}

/** A query parameter, the same way. */
export function param(request: FastifyRequest, name: string, max = 320): string {
  const value = (request.query as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' && value.length <= max ? value.trim() : '';
}

/** The console request as the services record it: the operator, and their request. */
export const consoleContext = (request: FastifyRequest): Omit<RequestContext, 'actor'> & { actor: 'operator' } => ({
  actor: 'operator',
  ...(request.operatorSession ? { operatorId: request.operatorSession.operator.id } : {}),
  requestId: request.id,
  ip: request.ip,
  endUserIp: request.ip,
  log: request.log,
});
