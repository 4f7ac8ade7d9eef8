// Whether an error says that a dependency is away — the database restarting, shut down,
// unreachable or out of disk, Redis gone — rather than that mailcode has a bug. An outage
// is answered 503 with Retry-After (never 500), logged once by the loops that meet it, and
// over by itself when the dependency is back. Read from the drivers' error shapes (pg's
// SQLSTATE classes, SQLite's result codes, ioredis' errors, Node's socket errors), through
// any wrapping (drizzle puts the driver's error in `cause`), without importing a driver.

export type Dependency = 'database' | 'redis';

export interface Outage {
  dependency: Dependency;
  /** The driver's own words, short: for the log, never for the answer. */
  reason: string;
}

/** SQLSTATE classes and codes of a PostgreSQL that cannot serve now (https://www.postgresql.org/docs/current/errcodes-appendix.html). */
const postgresAway = /^(08|53|57P0[1-4]|58)/;
/** SQLite result codes of a file that cannot be written or read now: a full disk, an I/O error, a lock held too long, a read-only mount. */
const sqliteAway = /^SQLITE_(FULL|IOERR|BUSY|LOCKED|READONLY|CANTOPEN|PROTOCOL)/;
/** Node's socket errors: nobody listening, the connection dropped, no answer in time. */
const socketAway = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTCONN',
]);
/** pg's own words when its connection ends or never comes. */
const pgConnectionWords =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed|Connection ended|server closed the connection/i;
/** ioredis' words while Redis is away (maxRetriesPerRequest reached, no offline queue, the connection closed). */
const redisWords = /max retries per request|Stream isn't writeable|Connection is closed|Command timed out/i;

interface Shape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
}

function one(error: Shape): Outage | undefined {
  const code = typeof error.code === 'string' ? error.code : '';
  const message = typeof error.message === 'string' ? error.message : '';
  const reason = `${code ? `${code}: ` : ''}${message}`.slice(0, 200);
  if (error.name === 'MaxRetriesPerRequestError' || redisWords.test(message)) return { dependency: 'redis', reason };
  if (sqliteAway.test(code)) return { dependency: 'database', reason };
  // pg's errors carry a five-character SQLSTATE; Node's carry an E… code.
  if (/^[0-9A-Z]{5}$/.test(code) && postgresAway.test(code)) return { dependency: 'database', reason };
  if (pgConnectionWords.test(message)) return { dependency: 'database', reason };
  if (socketAway.has(code)) return { dependency: /redis|6379/i.test(message) ? 'redis' : 'database', reason };
  return undefined;
}

/** The outage an error reports, looking through its causes (and an AggregateError's errors); undefined for anything else. */
export function outageOf(error: unknown): Outage | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current && typeof current === 'object'; depth++) {
    const shape = current as Shape;
    const found = one(shape);
    if (found) return found;
    if (Array.isArray(shape.errors)) {
      for (const inner of shape.errors.slice(0, 5)) {
        const deeper = outageOf(inner);
        if (deeper) return deeper;
      }
    }
    current = shape.cause;
  }
  return undefined;
}

/** How long a caller is asked to wait before trying again during an outage (seconds). */
export const outageRetryAfterSeconds = 5;

/**
 * Requests refused for an outage, in the log: the first at once, then at most one line per
 * `everyMs` saying how many were refused since — not a line for each of thousands.
 */
export function throttledOutageLog(everyMs: number, now: () => number = Date.now) {
  let lastAt = -Infinity;
  let since = 0;
  return {
    refused(log: { warn(fields: object, message: string): void }, outage: Outage): void {
      since++;
      if (now() - lastAt < everyMs) return;
      log.warn({ outage, refused: since }, `requests refused (503): the ${outage.dependency} is away`);
      lastAt = now();
      since = 0;
    },
  };
}
