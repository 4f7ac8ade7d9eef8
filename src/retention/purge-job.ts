// The hourly purge as a background job: what is past its retention goes (retention/purge.ts).
import type { Logger } from 'pino';
import type { BackgroundJob } from '../shared/background.js';

export const purgeJob = (purge: () => Promise<object>, logger: Logger): BackgroundJob => ({
  name: 'purge',
  idleMs: 3_600_000,
  firstPassAfterMs: 3_600_000,
  async pass() {
    logger.info(await purge(), 'purged expired rows');
    return false;
  },
});
