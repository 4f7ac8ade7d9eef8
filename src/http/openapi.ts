// openapi.yaml, generated from what the routes declare (http/operation.ts: each route's
// schemas, the meaning of its answers, the problems it gives) and from problems.ts: the
// contract cannot drift from the code. `npm run openapi` writes it; test/http/openapi.test.ts
// fails when the committed file is not what this generates.
import { stringify } from 'yaml';
import * as common from './schemas/common.js';
import * as events from './schemas/events.js';
import * as people from './schemas/people.js';
import * as suppressions from './schemas/suppressions.js';
import * as pub from './schemas/public.js';
import * as totp from './schemas/totp.js';
import * as verification from './schemas/verification.js';
import type { Operation } from './operation.js';
import { problemKinds, type ProblemName } from './problems.js';
import { metricsOperation } from './plugins/metrics.js';
import { docsOperations } from './routes/docs.js';
import { eventOperations } from './routes/events.js';
import { peopleOperations } from './routes/people.js';
import { recoveryOperations } from './routes/recoveries.js';
import { trustedBrowserOperations } from './routes/trusted-browsers.js';
import { passkeyOperations } from './routes/passkeys.js';
import { publicOperations } from './routes/public.js';
import { suppressionOperations } from './routes/suppressions.js';
import { totpOperations } from './routes/totp.js';
import { verificationOperations } from './routes/verifications.js';

type Json = Record<string, unknown>;

/** The named schemas of the contract, in the order the document lists them. */
const schemas: Record<string, object> = {
  UserRef: common.UserRef,
  TotpEnrollmentRequest: totp.TotpEnrollmentRequest,
  TotpEnrollment: totp.TotpEnrollment,
  TotpConfirmRequest: totp.TotpConfirmRequest,
  TotpConfirmation: totp.TotpConfirmation,
  TotpVerifyRequest: totp.TotpVerifyRequest,
  TotpRecoverRequest: totp.TotpRecoverRequest,
  SecondFactorVerified: totp.SecondFactorVerified,
  TotpStatus: totp.TotpStatus,
  RecoveryCodes: totp.RecoveryCodes,
  RecoveryCodesResponse: totp.RecoveryCodesResponse,
  ProvenAddress: people.ProvenAddress,
  Person: people.Person,
  Purpose: common.Purpose,
  VerificationId: common.VerificationId,
  Email: common.Email,
  EndUserIp: common.EndUserIp,
  Locale: common.Locale,
  Code: common.Code,
  SendCodeRequest: verification.SendCodeRequest,
  SendCodeResponse: verification.SendCodeResponse,
  VerifyCodeRequest: verification.VerifyCodeRequest,
  VerifyCodeResponse: verification.VerifyCodeResponse,
  Verification: verification.Verification,
  EventType: events.EventType,
  TimelineEntry: events.TimelineEntry,
  Event: events.Event,
  EventList: events.EventList,
  Suppression: suppressions.Suppression,
  SuppressionList: suppressions.SuppressionList,
  ServiceIndex: pub.ServiceIndex,
  Health: pub.Health,
  Readiness: pub.Readiness,
  Jwks: pub.Jwks,
  Problem: common.Problem,
  InvalidCodeProblem: common.InvalidCodeProblem,
  RateLimitedProblem: common.RateLimitedProblem,
  UndeliverableProblem: common.UndeliverableProblem,
};

/** What the document says beyond what validation checks: the service's defaults. */
const documentedOnly: Record<string, Json> = { Purpose: { default: 'login' } };

/** A schema as plain JSON (TypeBox's markers are symbols, which JSON drops). */
const plain = (schema: object): Json => JSON.parse(JSON.stringify(schema)) as Json;
const withoutDescription = ({ description: _description, ...rest }: Json) => JSON.stringify(rest);
const named = new Map(Object.entries(schemas).map(([name, schema]) => [withoutDescription(plain(schema)), name]));

/**
 * Replaces every part of a schema that is one of the named schemas with a $ref to it (a
 * description of its own stays beside the $ref), so the document reads like the code.
 */
function refs(value: unknown, top = true): unknown {
  if (Array.isArray(value)) return value.map((v) => refs(v, false));
  if (value === null || typeof value !== 'object') return value;
  const json = value as Json;
  const name = top ? undefined : named.get(withoutDescription(json));
  if (name) {
    const own = json.description !== undefined && json.description !== (plain(schemas[name]!) as Json).description;
    return { $ref: `#/components/schemas/${name}`, ...(own ? { description: json.description } : {}) };
  }
  return Object.fromEntries(
    Object.entries(json).map(([key, v]) => [
      key,
      key === 'properties'
        ? Object.fromEntries(Object.entries(v as Json).map(([k, p]) => [k, refs(p, false)]))
        : refs(v, false),
    ]),
  );
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const retryAfter = { 'Retry-After': { schema: { type: 'integer', minimum: 1 } } };

/** Every operation of the API, as each route declares it, in the order the document lists them. */
const operations: Operation[] = [
  ...verificationOperations,
  ...totpOperations,
  ...peopleOperations,
  ...recoveryOperations,
  ...trustedBrowserOperations,
  ...passkeyOperations,
  ...publicOperations.slice(0, 2),
  ...eventOperations,
  ...suppressionOperations,
  ...publicOperations.slice(2),
  metricsOperation,
  ...docsOperations,
];

/** `InvalidRequest` for invalidRequest: a problem kind as a shared response of the document. */
const responseName = (name: ProblemName) => name[0]!.toUpperCase() + name.slice(1);

function problemResponse(names: ProblemName[]): Json {
  const kinds = names.map((name) => problemKinds[name]);
  const bodies = [...new Set(kinds.map((k) => k.body))];
  return {
    description: `${kinds.map((k) => `\`${k.code}\`: ${k.means}`).join('; or ')}.`,
    ...(bodies.includes('RateLimitedProblem') ? { headers: retryAfter } : {}),
    content: {
      'application/problem+json': { schema: bodies.length === 1 ? ref(bodies[0]!) : { anyOf: bodies.map(ref) } },
    },
  };
}

/** The problems an operation answers: before its own code runs (bad input; behind an API key, a missing key and the request limit), then its own. */
function problemsOf(op: Operation): ProblemName[] {
  const input: ProblemName[] = op.schema.body
    ? ['invalidRequest', 'payloadTooLarge', 'unsupportedMediaType']
    : op.schema.params || op.schema.querystring
      ? ['invalidRequest']
      : [];
  // Behind a key, a URL the router cannot read (bad percent-encoding) is a 400 too.
  // The key itself is read from the database: any keyed operation may meet its outage.
  const key: ProblemName[] = op.open ? [] : ['invalidRequest', 'unauthorized', 'rateLimited', 'unavailable'];
  return [...new Set([...input, ...key, ...(op.problems ?? [])])];
}

function responsesOf(op: Operation): Json {
  const responses: Json = {};
  for (const [status, success] of Object.entries(op.responses)) {
    const schema = (op.schema.response as Record<string, object> | undefined)?.[status];
    if (typeof success !== 'string')
      responses[status] = {
        description: success.description,
        content: Object.fromEntries(
          Object.entries(success.content).map(([type, s]) => [type, { schema: refs(plain(s), false) }]),
        ),
      };
    else
      responses[status] = schema
        ? { description: success, content: { 'application/json': { schema: refs(plain(schema), false) } } }
        : { description: success };
  }
  const byStatus = new Map<number, ProblemName[]>();
  for (const name of problemsOf(op))
    byStatus.set(problemKinds[name].status, [...(byStatus.get(problemKinds[name].status) ?? []), name]);
  for (const [status, names] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[status] =
      names.length === 1 ? { $ref: `#/components/responses/${responseName(names[0]!)}` } : problemResponse(names);
  }
  return responses;
}

/** The path and query parameters of an operation, each with its schema (the route validates the same). */
function parametersOf(op: Operation): Json[] {
  const from = (where: 'path' | 'query', schema: unknown) => {
    const object = schema as { properties?: Record<string, object>; required?: string[] } | undefined;
    return Object.entries(object?.properties ?? {}).map(([name, property]) => {
      // The description goes on the parameter (a named schema's own stays with its $ref).
      const { description, ...schema } = refs(plain(property), false) as Json;
      const example = where === 'query' ? op.examples?.[name] : undefined;
      return {
        name,
        in: where,
        required: where === 'path' || (object?.required?.includes(name) ?? false),
        ...(description === undefined ? {} : { description }),
        schema,
        ...(example === undefined ? {} : { example }),
      };
    });
  };
  return [...from('path', op.schema.params), ...from('query', op.schema.querystring)];
}

function requestBodyOf(op: Operation): Json | undefined {
  if (!op.schema.body) return undefined;
  const examples = op.examples ?? {};
  const names = Object.keys(examples);
  const shown =
    names.length === 1 && names[0] === 'example'
      ? { example: examples.example }
      : names.length
        ? { examples: Object.fromEntries(names.map((n) => [n, { value: examples[n] }])) }
        : {};
  return {
    required: op.optionalBody !== true,
    content: { 'application/json': { schema: refs(plain(op.schema.body as object), false), ...shown } },
  };
}

/** `/verifications/:id` → `/verifications/{id}` */
const openapiPathOf = (url: string) => url.replace(/:([A-Za-z]+)/g, '{$1}');

function pathsOf(list: Operation[]): Json {
  const paths: Record<string, Json> = {};
  for (const op of list) {
    const parameters = parametersOf(op);
    const body = requestBodyOf(op);
    paths[openapiPathOf(op.url)] = {
      ...paths[openapiPathOf(op.url)],
      [op.method.toLowerCase()]: {
        operationId: op.operationId,
        summary: op.summary,
        ...(op.description ? { description: op.description } : {}),
        ...(op.open ? { security: [] } : {}),
        ...(parameters.length ? { parameters } : {}),
        ...(body ? { requestBody: body } : {}),
        responses: responsesOf(op),
      },
    };
  }
  return paths;
}

/** Every problem kind some operation answers, as a shared response the operations refer to. */
function sharedResponses(list: Operation[]): Json {
  const used = new Set(list.flatMap(problemsOf));
  return Object.fromEntries(
    (Object.keys(problemKinds) as ProblemName[])
      .filter((name) => used.has(name))
      .map((name) => [responseName(name), problemResponse([name])]),
  );
}

export function openapiDocument(version: string): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'mailcode',
      version,
      summary: 'Email one-time-code verification for company addresses, with signed verification assertions.',
      description: [
        'A portal backend calls `POST /send-code`, the person pastes the six-digit code from the mail,',
        'the portal calls `POST /verify-code` and receives a signed assertion (EdDSA JWT) it checks',
        'against `/.well-known/jwks.json`. Errors are RFC 9457 `application/problem+json` with a stable `code`.',
        '',
        'Request bodies are I-JSON (RFC 7493): a string holding a lone UTF-16 surrogate (which',
        'has no UTF-8 spelling) is refused with 400 `invalid_request`, in a body and in a path',
        'parameter alike.',
        '',
      ].join('\n'),
      license: { name: 'MIT', identifier: 'MIT' },
    },
    // Relative: "Try it out" in /docs and other tools call the server the document was read
    // from, whichever address (127.0.0.1, localhost, a public name) that was.
    servers: [{ url: '/', description: 'The server this document was read from' }],
    security: [{ apiKey: [] }],
    paths: pathsOf(operations),
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: "A client's API key, from `mailcode clients create`." },
      },
      responses: sharedResponses(operations),
      schemas: Object.fromEntries(
        Object.entries(schemas).map(([name, schema]) => [
          name,
          { ...(refs(plain(schema)) as Json), ...documentedOnly[name] },
        ]),
      ),
    },
  };
}

export function openapiYaml(version: string): string {
  return [
    '# Generated by `npm run openapi` (src/http/openapi.ts) from what the routes declare and problems.ts: edit those, not this.',
    stringify(openapiDocument(version), { lineWidth: 0, aliasDuplicateObjects: false }),
  ].join('\n');
}
