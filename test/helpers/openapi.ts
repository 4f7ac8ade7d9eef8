// Holds responses to openapi.yaml: a tested response that the document does not describe
// fails the test.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import type { LightMyRequestResponse } from 'fastify';
import { openapiPath } from '../../src/shared/paths.js';

type Operation = {
  responses: Record<
    string,
    { $ref?: string; content?: Record<string, { schema: object }>; headers?: Record<string, unknown> }
  >;
};
export const openapi = parse(readFileSync(openapiPath, 'utf8')) as {
  paths: Record<string, Record<string, Operation>>;
  components: {
    responses: Record<string, { content?: Record<string, { schema: object }> }>;
    schemas: Record<string, object>;
  };
};

const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
ajv.addSchema({ ...openapi, $id: 'openapi' } as object);

/** `/verifications/vf_x` → `/verifications/{id}` */
export function templateFor(path: string): string | undefined {
  const clean = path.split('?')[0]!;
  return Object.keys(openapi.paths).find((template) =>
    new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(clean),
  );
}

export function openapiMismatch(method: string, path: string, response: LightMyRequestResponse): string | undefined {
  const template = templateFor(path);
  if (!template) return `${path} is not in openapi.yaml`;
  const operation = openapi.paths[template]![method.toLowerCase()];
  if (!operation) return `${method} ${template} is not in openapi.yaml`;
  let described = operation.responses[String(response.statusCode)];
  if (!described) return `${method} ${template} has no ${response.statusCode} response in openapi.yaml`;
  if (described.$ref) described = openapi.components.responses[described.$ref.split('/').pop()!]!;
  if (!described.content) return response.body === '' ? undefined : `${response.statusCode} should have no body`;
  const mediaType = String(response.headers['content-type'] ?? '').split(';')[0]!;
  const content = described.content[mediaType];
  if (!content) return `${method} ${template} ${response.statusCode} is not described as ${mediaType}`;
  if (!mediaType.endsWith('json')) return undefined;
  const pointer = `openapi#/paths/${template.replace(/~/g, '~0').replace(/\//g, '~1')}/${method.toLowerCase()}/responses/${response.statusCode}`;
  const schemaRef =
    described === operation.responses[String(response.statusCode)]
      ? `${pointer}/content/${mediaType.replace(/\//g, '~1')}/schema`
      : `openapi#/components/responses/${operation.responses[String(response.statusCode)]!.$ref!.split('/').pop()}/content/${mediaType.replace(/\//g, '~1')}/schema`;
  const validate = ajv.getSchema(schemaRef);
  if (!validate) return `cannot compile ${schemaRef}`;
  if (!validate(response.json()))
    return `${method} ${template} ${response.statusCode}: ${ajv.errorsText(validate.errors)}`;
  return undefined;
}
