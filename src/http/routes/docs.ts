// The API's description: openapi.yaml as committed, and /docs, the same document rendered
// (Swagger UI) with "Try it out".
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { openapiPath } from '../../shared/paths.js';
import { operation, routeOf } from '../operation.js';

export const getOpenapi = operation({
  method: 'GET',
  url: '/openapi.yaml',
  schema: {},
  operationId: 'getOpenapi',
  summary: 'This document',
  responses: { 200: { description: 'The OpenAPI description.', content: { 'application/yaml': { type: 'string' } } } },
  open: true,
});

/** Served by Swagger UI (its own route, with its assets under /docs/). */
export const getDocs = operation({
  method: 'GET',
  url: '/docs',
  schema: {},
  operationId: 'getDocs',
  summary: 'This document, rendered',
  responses: { 200: { description: 'HTML documentation.', content: { 'text/html': { type: 'string' } } } },
  open: true,
});

export const docsOperations = [getOpenapi, getDocs];

export default async function docsRoutes(app: FastifyInstance) {
  const openapi = readFileSync(openapiPath, 'utf8');
  app.route({
    ...routeOf(getOpenapi),
    handler: async (_request, reply) => reply.type('application/yaml; charset=utf-8').send(openapi),
  });
  await app.register(swagger, { mode: 'static', specification: { path: openapiPath, baseDir: '' } });
  await app.register(swaggerUi, { routePrefix: getDocs.url, staticCSP: true });
}
