// The passkeys feature as the composition root builds it, and its background pass.
import type { Logger } from 'pino';
import type { AssertionOptions } from '../assertions/assertion.js';
import type { KeyRing } from '../assertions/keyring.js';
import type { NoticeAddress } from '../people/model.js';
import { noticeDepsOf } from '../people/notices.js';
import type { BackgroundJob } from '../shared/background.js';
import type { Config } from '../shared/config.js';
import type { KeySet } from '../shared/key-set.js';
import type { PasskeysPort } from './ports.js';
import { PasskeyService, type PasskeyServiceDeps } from './service.js';
import type { PasskeySettingsService } from './settings-service.js';

export interface PasskeyWiring {
  config: Config;
  passkeys: PasskeysPort;
  settings: PasskeySettingsService;
  keys: KeyRing;
  keySet: KeySet;
  assertion: AssertionOptions;
  noticeAddress(clientId: string, userRef: string): Promise<NoticeAddress | undefined>;
  resolveLocale(...candidates: (string | null | undefined)[]): string;
  onNoticeQueued(): void;
  signedIn?: PasskeyServiceDeps['signedIn'];
  factorsChanged?: PasskeyServiceDeps['factorsChanged'];
  now: () => number;
  logger: Logger;
}

export const wirePasskeys = (w: PasskeyWiring): PasskeyService =>
  new PasskeyService({
    passkeys: w.passkeys,
    settings: w.settings,
    keys: w.keys,
    assertion: w.assertion,
    notices: noticeDepsOf(w),
    userNameOf: async (clientId, userRef) => (await w.noticeAddress(clientId, userRef))?.email,
    signedIn: w.signedIn,
    factorsChanged: w.factorsChanged,
    now: w.now,
    logger: w.logger.child({ component: 'passkeys' }),
  });

/** Forgets the challenges of ceremonies never finished (each lives 5 minutes), a batch a minute. */
export const passkeyChallengeJob = (passkeys: PasskeysPort, now: () => number): BackgroundJob => {
  const batch = 500;
  return {
    name: 'passkey-challenges',
    idleMs: 60_000,
    async pass() {
      return (await passkeys.dropExpiredChallenges(now(), batch)) === batch;
    },
  };
};
