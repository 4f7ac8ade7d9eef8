// Schemas of the routes without an API key (for the contract; these routes answer fixed shapes).
import { Type } from 'typebox';

export const ServiceIndex = Type.Object({
  service: Type.Literal('mailcode'),
  docs: Type.Literal('/docs'),
  openapi: Type.Literal('/openapi.yaml'),
  health: Type.Literal('/healthz'),
  jwks: Type.Literal('/.well-known/jwks.json'),
});

export const Jwks = Type.Object({
  keys: Type.Array(
    Type.Object({
      kty: Type.Literal('OKP'),
      crv: Type.Literal('Ed25519'),
      x: Type.String(),
      kid: Type.String(),
      alg: Type.Literal('EdDSA'),
      use: Type.Literal('sig'),
    }),
  ),
});

export const Health = Type.Object({ status: Type.Literal('ok') });

export const Readiness = Type.Object({
  status: Type.Literal('ready'),
  database: Type.Literal('ok'),
  redis: Type.Optional(Type.Literal('ok', { description: 'Present when REDIS_URL is set.' })),
  mail: Type.Enum(['smtp', 'file'], { type: 'string' }),
  warnings: Type.Optional(
    Type.Array(Type.String(), {
      description:
        'What does not stop mailcode serving but needs an operator: clients whose mail is not DKIM-signed for a domain aligned with its From (`mailcode clients dns`).',
    }),
  ),
});
