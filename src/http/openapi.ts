// openapi.yaml, generated from the TypeBox schemas the routes validate with: the contract
// cannot drift from the code. `npm run openapi` writes it; test/openapi.test.ts fails when
// the committed file is not what this generates.
import { stringify } from 'yaml';
import * as common from './schemas/common.js';
import * as events from './schemas/events.js';
import * as suppressions from './schemas/suppressions.js';
import * as pub from './schemas/public.js';
import * as totp from './schemas/totp.js';
import * as verification from './schemas/verification.js';

type Json = Record<string, unknown>;

/** The named schemas of the contract, in the order the document lists them. */
const schemas: Record<string, object> = {
  UserRef: totp.UserRef,
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
  return Object.fromEntries(Object.entries(json).map(([key, v]) => [key, key === 'properties' ? Object.fromEntries(Object.entries(v as Json).map(([k, p]) => [k, refs(p, false)])) : refs(v, false)]));
}

const ref = (name: keyof typeof schemas) => ({ $ref: `#/components/schemas/${name}` });
const problem = (description: string, schema: keyof typeof schemas = 'Problem') => ({
  description,
  content: { 'application/problem+json': { schema: ref(schema) } },
});
const json = (description: string, schema: keyof typeof schemas) => ({ description, content: { 'application/json': { schema: ref(schema) } } });
const shared = (name: string) => ({ $ref: `#/components/responses/${name}` });

/** Answers every operation with a body can give before it runs. */
const bodyRefusals = { '400': shared('InvalidRequest'), '401': shared('Unauthorized'), '413': shared('PayloadTooLarge'), '415': shared('UnsupportedMediaType') };
const refusals = { '400': shared('InvalidRequest'), '401': shared('Unauthorized') };

const body = (schema: keyof typeof schemas, examples?: { example?: unknown; examples?: Record<string, { value: unknown }> }) => ({
  required: true,
  content: { 'application/json': { schema: ref(schema), ...examples } },
});
const pathParameter = (name: string, schema: keyof typeof schemas) => [{ name, in: 'path', required: true, schema: ref(schema) }];
/** The query parameters of a TypeBox object schema, each with its own schema (the route validates the same). */
function queryParameters(schema: { properties: Record<string, object>; required?: string[] }, examples: Record<string, string> = {}) {
  return Object.entries(schema.properties).map(([name, property]) => {
    const { description, ...rest } = plain(property);
    return { name, in: 'query', required: schema.required?.includes(name) ?? false, description, schema: rest, ...(examples[name] ? { example: examples[name] } : {}) };
  });
}
const text = (description: string, mediaType: string) => ({ description, content: { [mediaType]: { schema: { type: 'string' } } } });

const paths = {
  '/send-code': {
    post: {
      operationId: 'sendCode',
      summary: 'Mail a new code (or resend within the pending verification)',
      requestBody: body('SendCodeRequest', { example: { email: 'alice@acme.example', purpose: 'signup', locale: 'en' } }),
      responses: {
        '202': json('The code is queued for delivery.', 'SendCodeResponse'),
        ...bodyRefusals,
        '422': {
          description:
            '`domain_not_allowed`: the address is not on a company domain this client accepts; or `address_undeliverable`: mail to it bounced, and it is suppressed (with the `reason` and `suppressedUntil`).',
          content: { 'application/problem+json': { schema: { anyOf: [ref('Problem'), ref('UndeliverableProblem')] } } },
        },
        '429': shared('RateLimited'),
      },
    },
  },
  '/verify-code': {
    post: {
      operationId: 'verifyCode',
      summary: 'Check a code and receive a signed verification assertion',
      requestBody: body('VerifyCodeRequest', {
        examples: {
          byId: { value: { verificationId: 'vf_3Jm0n0Wq8c6Qm0z5Yx1h2A', code: '123456' } },
          byAddress: { value: { email: 'alice@acme.example', purpose: 'login', code: '123456' } },
        },
      }),
      responses: {
        '200': json('The code is right; the verification is now used.', 'VerifyCodeResponse'),
        ...bodyRefusals,
        '404': shared('NotFound'),
        '409': problem('`already_verified`: a verification is verified at most once.'),
        '410': problem('`code_expired`: the verification expired or was canceled.'),
        '422': problem('`invalid_code`, with `attemptsRemaining`.', 'InvalidCodeProblem'),
        '429': problem('`too_many_attempts` (the verification is locked) or `rate_limited`.'),
      },
    },
  },
  '/verifications/{id}': {
    parameters: pathParameter('id', 'VerificationId'),
    get: {
      operationId: 'getVerification',
      summary: 'The state of a verification (only for the client that created it)',
      responses: { '200': json('The verification.', 'Verification'), ...refusals, '404': shared('NotFound'), '429': shared('RateLimited') },
    },
    delete: {
      operationId: 'cancelVerification',
      summary: 'Cancel a pending verification (its codes stop working, unsent mail is dropped)',
      responses: {
        '204': { description: 'Canceled (or already unusable).' },
        ...refusals,
        '404': shared('NotFound'),
        '409': problem('`already_verified`.'),
        '429': shared('RateLimited'),
      },
    },
  },
  '/totp/enrollments': {
    post: {
      operationId: 'enrollTotp',
      summary: 'Start enrolling an authenticator app (QR code and secret; expires after 10 minutes)',
      description:
        'The secret is for manual entry and is shown only here; it is stored encrypted. The issuer in the app is the client\'s name; SHA-1, 6 digits, 30 s (what every app reads).\n',
      requestBody: body('TotpEnrollmentRequest', { example: { userRef: 'user-42', accountName: 'alice@acme.example' } }),
      responses: {
        '201': json('A pending enrolment.', 'TotpEnrollment'),
        ...bodyRefusals,
        '409': problem("`totp_already_enabled`: reset the user's factor first."),
        '429': shared('RateLimited'),
      },
    },
  },
  '/totp/enrollments/{id}/confirm': {
    parameters: pathParameter('id', 'VerificationId'),
    post: {
      operationId: 'confirmTotp',
      summary: 'Confirm an enrolment with a code from the app; returns 10 recovery codes, shown once',
      requestBody: body('TotpConfirmRequest'),
      responses: {
        '200': json('The factor is active.', 'TotpConfirmation'),
        ...bodyRefusals,
        '404': problem('`enrollment_not_found` (unknown or expired).'),
        '422': problem('`invalid_code`, with `attemptsRemaining`.', 'InvalidCodeProblem'),
        '429': shared('TotpLocked'),
      },
    },
  },
  '/totp/verify': {
    post: {
      operationId: 'verifyTotp',
      summary: "Check a code from the user's authenticator app and receive an assertion",
      description:
        'The current 30-second step, the one before and the one after are accepted; a step at or before the last accepted one is refused (replay). MAX_ATTEMPTS wrong codes in a row lock the factor for 15 minutes.\n',
      requestBody: body('TotpVerifyRequest'),
      responses: {
        '200': shared('SecondFactorVerified'),
        ...bodyRefusals,
        '404': shared('TotpNotEnabled'),
        '422': problem('`invalid_code` (wrong or replayed), with `attemptsRemaining`.', 'InvalidCodeProblem'),
        '429': shared('TotpLocked'),
      },
    },
  },
  '/totp/recover': {
    post: {
      operationId: 'recoverTotp',
      summary: 'Use one recovery code instead of an app code (each works once)',
      requestBody: body('TotpRecoverRequest'),
      responses: {
        '200': shared('SecondFactorVerified'),
        ...bodyRefusals,
        '404': shared('TotpNotEnabled'),
        '422': problem('`invalid_code` (unknown or used), with `attemptsRemaining`.', 'InvalidCodeProblem'),
        '429': shared('TotpLocked'),
      },
    },
  },
  '/totp/{userRef}': {
    parameters: pathParameter('userRef', 'UserRef'),
    get: {
      operationId: 'getTotpStatus',
      summary: 'Whether the user has an authenticator app, since when, and recovery codes left',
      responses: { '200': json("The user's second-factor status.", 'TotpStatus'), ...refusals, '429': shared('RateLimited') },
    },
    delete: {
      operationId: 'resetTotp',
      summary: "Support's reset (a lost phone) — the factor and its recovery codes are removed; audited",
      responses: { '204': { description: 'Reset.' }, ...refusals, '404': shared('TotpNotEnabled'), '429': shared('RateLimited') },
    },
  },
  '/totp/{userRef}/recovery-codes': {
    parameters: pathParameter('userRef', 'UserRef'),
    post: {
      operationId: 'regenerateRecoveryCodes',
      summary: 'New recovery codes (the old ones stop working), shown once',
      responses: { '200': json('Ten new recovery codes.', 'RecoveryCodesResponse'), ...refusals, '404': shared('TotpNotEnabled'), '429': shared('RateLimited') },
    },
  },
  '/': {
    get: {
      operationId: 'index',
      summary: 'Where to go from here (the docs, this document, health)',
      security: [],
      responses: {
        '200': {
          description: 'Links to `/docs`, `/openapi.yaml`, `/healthz` and the JWKS (JSON; HTML for a browser).',
          content: { 'application/json': { schema: ref('ServiceIndex') }, 'text/html': { schema: { type: 'string' } } },
        },
      },
    },
  },
  '/.well-known/jwks.json': {
    get: { operationId: 'getJwks', summary: 'Public keys that sign assertions', security: [], responses: { '200': json('A JWK Set (Ed25519, `alg` EdDSA).', 'Jwks') } },
  },
  '/events': {
    get: {
      operationId: 'listEvents',
      summary: "The client's own audit trail, newest first, page by page (kept EVENT_RETENTION_DAYS, default 30)",
      parameters: queryParameters(events.EventsQuery, { type: 'mail.bounced,mail.deferred' }),
      responses: { '200': json('A page of events.', 'EventList'), ...refusals, '429': shared('RateLimited') },
    },
  },
  '/suppressions': {
    get: {
      operationId: 'listSuppressions',
      summary: "Addresses the client's mail bounced from: no code is sent to them until `until`",
      responses: { '200': json('The suppressions that still last.', 'SuppressionList'), ...refusals, '429': shared('RateLimited') },
    },
  },
  '/suppressions/{email}': {
    parameters: [{ name: 'email', in: 'path', required: true, description: 'The suppressed address (percent-encoded).', schema: ref('Email') }],
    delete: {
      operationId: 'liftSuppression',
      summary: 'Lift a suppression: codes are mailed to the address again',
      responses: {
        '204': { description: 'Lifted.' },
        ...refusals,
        '404': problem('`suppression_not_found`: the address is not suppressed for this client.'),
        '429': shared('RateLimited'),
      },
    },
  },
  '/healthz': {
    get: { operationId: 'healthz', summary: 'The process is alive', security: [], responses: { '200': json('Alive.', 'Health') } },
  },
  '/readyz': {
    get: {
      operationId: 'readyz',
      summary: 'The database (and Redis, when configured) is reachable and the mail transport is ready',
      security: [],
      responses: { '200': json('Ready.', 'Readiness'), '503': problem('`not_ready`.') },
    },
  },
  '/metrics': {
    get: {
      operationId: 'metrics',
      summary: 'Prometheus metrics (codes sent, verified, failed, locked; mail delivery; rate limits; HTTP latency)',
      security: [],
      responses: { '200': text('Prometheus text exposition format.', 'text/plain') },
    },
  },
  '/openapi.yaml': {
    get: { operationId: 'getOpenapi', summary: 'This document', security: [], responses: { '200': text('The OpenAPI description.', 'application/yaml') } },
  },
  '/docs': {
    get: { operationId: 'getDocs', summary: 'This document, rendered', security: [], responses: { '200': text('HTML documentation.', 'text/html') } },
  },
};

const retryAfter = { 'Retry-After': { schema: { type: 'integer', minimum: 1 } } };

const responses = {
  InvalidRequest: problem('`invalid_request`: the body or parameters do not match the schema.'),
  PayloadTooLarge: problem('`invalid_request`: the body is larger than 16 KiB.'),
  UnsupportedMediaType: problem('`invalid_request`: the body is not `application/json`.'),
  Unauthorized: problem('`unauthorized`: missing, unknown or revoked API key.'),
  NotFound: problem('`verification_not_found`: no such verification for this client.'),
  TotpNotEnabled: problem('`totp_not_enabled`: the user has no authenticator app.'),
  TotpLocked: { ...problem('`too_many_attempts` (locked, with `retryAfter` and Retry-After) or `rate_limited`.', 'RateLimitedProblem'), headers: retryAfter },
  SecondFactorVerified: json('The code is right; the assertion says which method was used.', 'SecondFactorVerified'),
  RateLimited: { ...problem('`rate_limited`, with a `Retry-After` header and `retryAfter` seconds.', 'RateLimitedProblem'), headers: retryAfter },
};

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
    paths,
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'A client\'s API key, from `mailcode clients create`.' } },
      responses,
      schemas: Object.fromEntries(Object.entries(schemas).map(([name, schema]) => [name, { ...(refs(plain(schema)) as Json), ...documentedOnly[name] }])),
    },
  };
}

export function openapiYaml(version: string): string {
  return [
    '# Generated from the TypeBox schemas by `npm run openapi` (src/http/openapi.ts): edit those, not this.',
    stringify(openapiDocument(version), { lineWidth: 0, aliasDuplicateObjects: false }),
  ].join('\n');
}
