// How a CLI command reaches mailcode: the configuration, then the operator's services from
// the one composition root (wiring.ts) — never a store — and one line for a refusal.
import type { Config } from '../shared/config.js';
import { DomainError, refusalText } from '../shared/domain-error.js';
import type { OperatorServices } from '../main/wiring.js';

// The configuration, the database and the key ring are loaded when a command runs, not at
// start: a usage error or --help answers at once, without them.
export async function config(): Promise<Config> {
  const { ConfigError, loadConfig } = await import('../shared/config.js');
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`mailcode: configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

/**
 * Runs a command on the operator's services, from the one composition root (wiring.ts).
 * A refusal is one line on stderr and exit code 1.
 */
export async function withServices<T>(
  fn: (services: OperatorServices, config: Config) => T | Promise<T>,
): Promise<T | undefined> {
  const cfg = await config();
  const { openOperator } = await import('../main/wiring.js');
  const services = await openOperator(cfg);
  try {
    return await fn(services, cfg);
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    process.stderr.write(`mailcode: ${refusalText(error.refusal)}\n`);
    process.exitCode = 1;
    return undefined;
  } finally {
    await services.close();
  }
}
