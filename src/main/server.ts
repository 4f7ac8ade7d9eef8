// Entry: config → app → listen → graceful shutdown (the mail worker drains first).
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import type { Config } from '../shared/config.js';
import { purgeExpired } from '../retention/purge.js';

const purgeEveryMs = 3_600_000;

export async function serve(config: Config): Promise<FastifyInstance> {
  const app = await buildApp(config);
  await app.listen({ port: config.PORT, host: config.HOST });
  const { store, keys, transport } = app.mailcode;
  app.log.info(
    transport.kind === 'file'
      ? { mailDir: resolve(config.MAIL_DIR) }
      : { smtp: 'configured' },
    transport.kind === 'file' ? `mail is written as .eml files to ${resolve(config.MAIL_DIR)} (set SMTP_URL to send)` : 'mail is sent over SMTP',
  );

  const purge = setInterval(() => {
    purgeExpired(store.maintenance, keys, config.RETENTION_DAYS, Date.now(), config.EVENT_RETENTION_DAYS).then(
      (result) => app.log.info(result, 'purged expired rows'),
      (error: unknown) => app.log.error({ err: error }, 'purge failed'),
    );
  }, purgeEveryMs);
  purge.unref();

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: draining mail in flight');
    clearInterval(purge);
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  return app;
}
