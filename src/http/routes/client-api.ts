// Every route behind a client's API key, in one scope: the per-client request limit
// counts first, then the key is checked, then the routes of each resource run.
import type { FastifyInstance } from 'fastify';
import type { EventsService } from '../../events/service.js';
import type { PeopleService } from '../../people/service.js';
import type { RecoveryService } from '../../recovery/service.js';
import type { TrustedBrowserService } from '../../trusted-browsers/service.js';
import type { SuppressionService } from '../../suppression/service.js';
import type { TotpService } from '../../totp/service.js';
import type { VerificationService } from '../../verification/service.js';
import { registerClientRateLimit, type SharedLimiterStore } from '../plugins/client-rate-limit.js';
import { registerEventRoutes } from './events.js';
import { registerPeopleRoutes } from './people.js';
import { registerRecoveryRoutes } from './recoveries.js';
import { registerTrustedBrowserRoutes } from './trusted-browsers.js';
import { registerPasskeyRoutes } from './passkeys.js';
import type { PasskeyService } from '../../passkeys/service.js';
import { registerSuppressionRoutes } from './suppressions.js';
import { registerTotpRoutes } from './totp.js';
import { registerVerificationRoutes } from './verifications.js';

export interface ClientApiOptions {
  verification: VerificationService;
  totp: TotpService;
  people: PeopleService;
  recovery: RecoveryService;
  trustedBrowsers: TrustedBrowserService;
  passkeys: PasskeyService;
  events: EventsService;
  suppressions: SuppressionService;
  requestsPerSecond: number;
  onRateLimited?: () => void;
  /** Where the per-client request counts are shared between processes (else in memory). */
  redis?: SharedLimiterStore;
}

export default async function clientApi(scope: FastifyInstance, options: ClientApiOptions) {
  await registerClientRateLimit(scope, options.requestsPerSecond, options.onRateLimited, options.redis);
  scope.addHook('onRequest', scope.authenticate);
  registerVerificationRoutes(scope, options.verification, options.events);
  registerTotpRoutes(scope, options.totp);
  registerPeopleRoutes(scope, options.people);
  registerRecoveryRoutes(scope, options.recovery);
  registerTrustedBrowserRoutes(scope, options.trustedBrowsers);
  registerPasskeyRoutes(scope, options.passkeys);
  registerEventRoutes(scope, options.events);
  registerSuppressionRoutes(scope, options.suppressions);
}
