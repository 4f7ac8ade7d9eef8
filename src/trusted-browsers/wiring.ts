// The trusted-browsers feature as the composition root builds it.
import type { Logger } from 'pino';
import type { AssertionOptions } from '../assertions/assertion.js';
import type { KeyRing } from '../assertions/keyring.js';
import type { NoticeAddress } from '../people/model.js';
import { noticeDepsOf } from '../people/notices.js';
import type { Config } from '../shared/config.js';
import type { KeySet } from '../shared/key-set.js';
import type { TrustedBrowsersPort } from './ports.js';
import { TrustedBrowserService } from './service.js';

export interface TrustedBrowserWiring {
  config: Config;
  browsers: TrustedBrowsersPort;
  keys: KeyRing;
  keySet: KeySet;
  assertion: AssertionOptions;
  lastEmailProof(clientId: string, userRef: string): Promise<number | undefined>;
  noticeAddress(clientId: string, userRef: string): Promise<NoticeAddress | undefined>;
  resolveLocale(...candidates: (string | null | undefined)[]): string;
  onNoticeQueued(): void;
  passkeyRequired?(clientId: string): Promise<boolean>;
  now: () => number;
  logger: Logger;
}

export const wireTrustedBrowsers = (w: TrustedBrowserWiring): TrustedBrowserService =>
  new TrustedBrowserService({
    browsers: w.browsers,
    keys: w.keys,
    assertion: w.assertion,
    hashKeys: w.keySet.trustedBrowsers,
    lastEmailProof: w.lastEmailProof,
    notices: noticeDepsOf(w),
    passkeyRequired: w.passkeyRequired,
    now: w.now,
    logger: w.logger.child({ component: 'trusted-browsers' }),
  });
