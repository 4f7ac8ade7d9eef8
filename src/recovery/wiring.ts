// The recovery-by-email feature as the composition root builds it, and its background pass:
// a recovery whose wait has ended completes at the time (its notice with it), not only when
// someone next reads it.
import type { Logger } from 'pino';
import type { Client } from '../clients/model.js';
import type { NoticeAddress } from '../people/model.js';
import { noticeDepsOf } from '../people/notices.js';
import type { Config } from '../shared/config.js';
import type { BackgroundJob } from '../shared/background.js';
import type { KeySet } from '../shared/key-set.js';
import type { VerificationService } from '../verification/service.js';
import type { RecoveriesPort } from './ports.js';
import { RecoveryService, type RecoveryServiceDeps } from './service.js';

export interface RecoveryWiring {
  config: Config;
  recoveries: RecoveriesPort;
  keySet: KeySet;
  verification: VerificationService;
  hasAuthenticator(clientId: string, userRef: string): Promise<boolean>;
  noticeAddress(clientId: string, userRef: string): Promise<NoticeAddress | undefined>;
  resolveLocale(...candidates: (string | null | undefined)[]): string;
  onNoticeQueued(): void;
  now: () => number;
  logger: Logger;
  factorsChanged?: RecoveryServiceDeps['factorsChanged'];
}

export const wireRecovery = (w: RecoveryWiring): RecoveryService =>
  new RecoveryService({
    recoveries: w.recoveries,
    verification: w.verification,
    hasAuthenticator: w.hasAuthenticator,
    noticeAddress: w.noticeAddress,
    notices: noticeDepsOf(w),
    codeTtlMs: w.config.CODE_TTL_SECONDS * 1000,
    maxAttempts: w.config.MAX_ATTEMPTS,
    now: w.now,
    logger: w.logger.child({ component: 'recovery' }),
    factorsChanged: w.factorsChanged,
  });

/** How often the background pass looks for recoveries whose wait has ended. */
export const recoveryPassMs = 15_000;

/** Completes the recoveries whose wait has ended; a full batch means more may be waiting. */
export const recoveryJob = (
  recovery: RecoveryService,
  clientOf: (id: string) => Promise<Client | undefined>,
): BackgroundJob => {
  const batch = 50;
  return {
    name: 'recovery',
    idleMs: recoveryPassMs,
    async pass() {
      return (await recovery.completeDue(clientOf, batch)) === batch;
    },
  };
};
