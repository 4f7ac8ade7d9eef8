// buildApp(config, deps): the whole service — wired, with its HTTP face — as a Fastify
// instance that never listens. The server, the tests and the benchmark all build this.
import type { FastifyInstance } from 'fastify';
import { buildHttpApp } from '../http/app.js';
import type { Config } from '../shared/config.js';
import { wire, type Mailcode, type WiringDeps } from './wiring.js';

export { keyRingFor, openStore } from './open-store.js';
export type { Store } from '../store/store.js';

export interface AppDeps extends WiringDeps {
  /** Tests that drive the worker by hand (runOnce) turn the background loop off. */
  startWorker?: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The wired whole, for the server's entry and the tests: the routes never read it. */
    mailcode: Mailcode;
  }
}

export async function buildApp(config: Config, deps: AppDeps = {}): Promise<FastifyInstance> {
  const mailcode = await wire(config, deps);
  const app = await buildHttpApp(mailcode);
  app.decorate('mailcode', mailcode);
  app.addHook('onReady', async () => {
    if (deps.startWorker !== false) await mailcode.startBackground();
  });
  app.addHook('onClose', () => mailcode.close());
  return app;
}
