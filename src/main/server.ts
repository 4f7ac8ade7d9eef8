// Entry: config → app → listen → graceful shutdown (the background jobs drain first).
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import type { Config } from '../shared/config.js';

export async function serve(config: Config): Promise<FastifyInstance> {
  const app = await buildApp(config);
  await app.listen({ port: config.PORT, host: config.HOST });
  const { transport } = app.mailcode;
  app.log.info(
    transport.kind === 'file' ? { mailDir: resolve(config.MAIL_DIR) } : { smtp: 'configured' },
    transport.kind === 'file'
      ? `mail is written as .eml files to ${resolve(config.MAIL_DIR)} (set SMTP_URL to send)`
      : 'mail is sent over SMTP',
  );

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: draining mail in flight');
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
