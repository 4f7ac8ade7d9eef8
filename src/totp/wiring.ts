// The authenticator-app feature as the composition root builds it.
import type { Logger } from 'pino';
import type { AssertionOptions } from '../assertions/assertion.js';
import type { KeyRing } from '../assertions/keyring.js';
import type { NoticeAddress } from '../people/model.js';
import { noticeDepsOf } from '../people/notices.js';
import type { Config } from '../shared/config.js';
import type { KeySet } from '../shared/key-set.js';
import type { TotpFactorsPort } from './ports.js';
import { TotpService, type TotpServiceDeps } from './service.js';

export interface TotpWiring {
  config: Config;
  factors: TotpFactorsPort;
  keys: KeyRing;
  keySet: KeySet;
  assertion: AssertionOptions;
  now: () => number;
  logger: Logger;
  /** Where a notice about a person goes (people/): asked only when a reset runs. */
  noticeAddress(clientId: string, userRef: string): Promise<NoticeAddress | undefined>;
  resolveLocale(...candidates: (string | null | undefined)[]): string;
  /** A notice was queued (the mail worker's nudge). */
  onNoticeQueued(): void;
  /** A sign-in with the app or a recovery code succeeded (an open recovery by email ends). */
  signedIn?: TotpServiceDeps['signedIn'];
  factorsChanged?: TotpServiceDeps['factorsChanged'];
}

export const wireTotp = (w: TotpWiring): TotpService =>
  new TotpService({
    factors: w.factors,
    keys: w.keys,
    secretKeys: w.keySet.totpSecrets,
    recoveryKeys: w.keySet.recoveryCodes,
    maxAttempts: w.config.MAX_ATTEMPTS,
    assertion: w.assertion,
    now: w.now,
    logger: w.logger.child({ component: 'totp' }),
    notices: noticeDepsOf(w),
    signedIn: w.signedIn,
    factorsChanged: w.factorsChanged,
  });
