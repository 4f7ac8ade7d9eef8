// Environment → typed, validated configuration. The one place where defaults live.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';

const Int = (minimum: number, maximum: number, description: string) => Type.Integer({ minimum, maximum, description });

/** Each property is one environment variable; its description is what the error says. */
export const ConfigSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], {
    description: 'one of development, production, test',
  }),
  PORT: Int(0, 65535, 'a TCP port number (0-65535)'),
  HOST: Type.String({ minLength: 1, description: 'an interface address to listen on, e.g. 127.0.0.1' }),
  PUBLIC_URL: Type.String({
    pattern: '^https?://[^\\s/]+(/[^\\s]*)?$',
    description: 'an http(s) URL, the `iss` of assertions',
  }),
  DATABASE_URL: Type.String({
    pattern: '^(file:.+|postgres(ql)?://.+)$',
    description: 'file:<path> of the SQLite database, or a postgres:// URL',
  }),
  DATABASE_POOL_SIZE: Int(1, 1000, 'PostgreSQL connections per process (1-1000)'),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://', description: 'a redis:// URL' })),
  REDIS_KEY_PREFIX: Type.String({
    pattern: '^[^\\s]{1,64}$',
    description: "a prefix of up to 64 characters for mailcode's Redis keys",
  }),
  SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://', description: 'an smtp:// or smtps:// URL' })),
  MAIL_DIR: Type.String({ minLength: 1, description: 'a directory for .eml files' }),
  MAIL_FROM: Type.String({
    pattern: '^[^\\r\\n]*<?[^@\\s<>]+@[^@\\s<>]+>?$',
    description: 'a sender address, e.g. "Acme <no-reply@acme.example>"',
  }),
  DKIM_DOMAIN: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$',
      description: 'the signing domain (d=), e.g. acme.example',
    }),
  ),
  DKIM_SELECTOR: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]+$', description: 'the DKIM selector (s=)' })),
  DKIM_PRIVATE_KEY: Type.Optional(
    Type.String({ minLength: 1, description: 'a PEM private key, or the path of a PEM file' }),
  ),
  MAIL_SPF: Type.Optional(
    Type.String({
      pattern:
        '^(include:[A-Za-z0-9._-]+|ip4:[0-9./]+|ip6:[0-9A-Fa-f:./]+|a(:[A-Za-z0-9._-]+)?|mx(:[A-Za-z0-9._-]+)?)$',
      description: 'the SPF mechanism of the sending host, e.g. include:_spf.relay.example or ip4:203.0.113.5',
    }),
  ),
  DNS_SERVERS: Type.Optional(
    Type.String({
      pattern: '^[0-9A-Fa-f.:\\[\\]]+(,[0-9A-Fa-f.:\\[\\]]+)*$',
      description: "resolvers for `clients dns --check`, comma-separated IP[:port] (default: the system's)",
    }),
  ),
  BOUNCE_DOMAIN: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$',
      description: 'the domain of per-mail return paths (bounce+…@BOUNCE_DOMAIN), e.g. bounces.acme.example',
    }),
  ),
  BOUNCE_SMTP_PORT: Type.Optional(
    Int(0, 65535, 'the port of the inbound SMTP listener for bounce reports (0: any free port)'),
  ),
  BOUNCE_SMTP_HOST: Type.String({ minLength: 1, description: 'the interface the bounce listener binds, e.g. 0.0.0.0' }),
  CODE_SECRET: Type.String({
    pattern: '^[^,\\s]{32,}(,[^,\\s]{32,})*$',
    description: 'a secret of at least 32 characters (e.g. 64 hex digits), or a comma-separated list, newest first',
  }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { description: 'one of fatal, error, warn, info, debug, trace, silent' },
  ),
  CODE_TTL_SECONDS: Int(30, 86400, 'seconds a code lives (30-86400)'),
  MAX_ATTEMPTS: Int(1, 100, 'wrong attempts allowed per verification (1-100)'),
  RESEND_COOLDOWN_SECONDS: Int(0, 3600, 'seconds between two sends of one verification (0-3600)'),
  SENDS_PER_EMAIL_HOUR: Int(1, 100000, 'mails per address per hour'),
  SENDS_PER_EMAIL_DAY: Int(1, 1000000, 'mails per address per day'),
  SENDS_PER_IP_HOUR: Int(1, 1000000, 'sends per end-user IP per hour'),
  DOMAIN_MAILS_PER_HOUR: Int(1, 100000000, 'mails per recipient domain per hour'),
  GLOBAL_MAILS_PER_MINUTE: Int(1, 100000000, 'outgoing mails per minute, all clients together'),
  WRONG_CODES_PER_EMAIL_HOUR: Int(1, 100000, 'wrong codes per address per hour before sends to it pause'),
  UNKNOWN_LINKS_PER_IP_HOUR: Int(
    1,
    1000000,
    'unknown or used continue links per client and IP per hour before such answers are refused',
  ),
  CLIENT_REQUESTS_PER_SECOND: Int(1, 1000000, 'requests per second per API client'),
  CONSOLE_SIGN_INS_PER_MINUTE: Int(1, 1000000, 'sign-in form posts per minute per IP in the console'),
  ASSERTION_TTL_SECONDS: Int(30, 86400, 'seconds an assertion lives (30-86400)'),
  RETENTION_DAYS: Int(0, 3650, 'days expired verifications are kept for audit'),
  EVENT_RETENTION_DAYS: Int(1, 3650, 'days audit events are kept (1-3650)'),
  WEBHOOK_ALLOWED_TARGETS: Type.String({
    pattern: '^[^\\s,]*(,[^\\s,]+)*$',
    description:
      'comma-separated host names, IP addresses or CIDR ranges webhooks may reach although they are not public (production refuses private, loopback and link-local targets otherwise)',
  }),
  MAIL_LEASE_SECONDS: Int(1, 3600, 'seconds a process holds a claimed mail before another may deliver it (1-3600)'),
});

export type Config = Static<typeof ConfigSchema>;

const defaults: Record<string, string> = {
  NODE_ENV: 'development',
  PORT: '3000',
  HOST: '127.0.0.1',
  PUBLIC_URL: 'http://localhost:3000',
  DATABASE_URL: 'file:./data/mailcode.db',
  DATABASE_POOL_SIZE: '10',
  REDIS_KEY_PREFIX: 'mailcode:',
  MAIL_DIR: './data/mail',
  MAIL_FROM: 'mailcode <no-reply@localhost>',
  LOG_LEVEL: 'info',
  CODE_TTL_SECONDS: '600',
  MAX_ATTEMPTS: '5',
  RESEND_COOLDOWN_SECONDS: '30',
  SENDS_PER_EMAIL_HOUR: '5',
  SENDS_PER_EMAIL_DAY: '20',
  SENDS_PER_IP_HOUR: '20',
  DOMAIN_MAILS_PER_HOUR: '1000',
  GLOBAL_MAILS_PER_MINUTE: '6000',
  WRONG_CODES_PER_EMAIL_HOUR: '20',
  UNKNOWN_LINKS_PER_IP_HOUR: '30',
  CLIENT_REQUESTS_PER_SECOND: '50',
  CONSOLE_SIGN_INS_PER_MINUTE: '20',
  ASSERTION_TTL_SECONDS: '300',
  RETENTION_DAYS: '7',
  EVENT_RETENTION_DAYS: '30',
  BOUNCE_SMTP_HOST: '127.0.0.1',
  WEBHOOK_ALLOWED_TARGETS: '',
  MAIL_LEASE_SECONDS: '10',
};

/** A configuration error names the variable and what it expects, in one line. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * CODE_SECRET may list several secrets, newest first: the newest hashes new codes and
 * encrypts new data, every one of them still verifies and decrypts, so a rotation does not
 * break codes in flight. Drop the old secret once its codes have expired.
 */
export function codeSecrets(config: Pick<Config, 'CODE_SECRET'>): string[] {
  return config.CODE_SECRET.split(',');
}

export function isPostgres(databaseUrl: string): boolean {
  return /^postgres(ql)?:\/\//.test(databaseUrl);
}

/** The path of the SQLite file named by DATABASE_URL. */
export function sqlitePath(databaseUrl: string): string {
  return databaseUrl.replace(/^file:/, '');
}

/**
 * Outside production a missing CODE_SECRET is generated once and kept beside the
 * database, so codes and signing keys survive a restart. Production must set it.
 */
function generatedSecret(databaseUrl: string): string {
  const file = resolve(dirname(sqlitePath(databaseUrl)), 'code-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dirname(file), { recursive: true });
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, string> = { ...defaults };
  for (const key of Object.keys(ConfigSchema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  if (raw.NODE_ENV === 'production') {
    const missing = ['SMTP_URL', 'CODE_SECRET', 'PUBLIC_URL'].filter((k) => !env[k]);
    if (missing.length > 0) {
      throw new ConfigError(`${missing[0]}: must be set when NODE_ENV=production (missing: ${missing.join(', ')})`);
    }
  }
  if (raw.CODE_SECRET === undefined && raw.DATABASE_URL?.startsWith('file:')) {
    raw.CODE_SECRET = generatedSecret(raw.DATABASE_URL);
  }
  if (raw.CODE_SECRET === undefined && /^postgres(ql)?:\/\//.test(raw.DATABASE_URL ?? '')) {
    // Generated and kept beside a SQLite file, one process's; on a shared database every
    // process must hash, seal and sign with the same secret, so it is given, not made.
    throw new ConfigError(
      'CODE_SECRET: missing. With a PostgreSQL DATABASE_URL it must be given (at least 32 characters, e.g. `openssl rand -hex 32`): every mailcode process on the database shares it, so none can make its own',
    );
  }
  const converted = Value.Convert(ConfigSchema, raw) as Record<string, unknown>;
  const order = Object.keys(ConfigSchema.properties);
  const problems = [...Value.Errors(ConfigSchema, converted)].map((error) => {
    const required = (error.params as { requiredProperties?: string[] }).requiredProperties?.[0];
    const key = error.instancePath.replace(/^\//, '') || String(required ?? '');
    return { key, message: error.message };
  });
  problems.sort((a, b) => order.indexOf(a.key) - order.indexOf(b.key));
  const first = problems[0];
  if (first) {
    const expected =
      (ConfigSchema.properties as Record<string, { description?: string }>)[first.key]?.description ?? first.message;
    const shown =
      first.key === 'CODE_SECRET'
        ? '(hidden)'
        : raw[first.key] === undefined
          ? 'nothing'
          : JSON.stringify(raw[first.key]);
    throw new ConfigError(`${first.key}: expected ${expected}, got ${shown}`);
  }
  const config = converted as Config;
  const dkim = [config.DKIM_DOMAIN, config.DKIM_SELECTOR, config.DKIM_PRIVATE_KEY].filter(Boolean).length;
  if (dkim !== 0 && dkim !== 3)
    throw new ConfigError(
      'DKIM_DOMAIN: expected DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY together, or none of them',
    );
  if (config.DKIM_PRIVATE_KEY && !config.DKIM_PRIVATE_KEY.includes('-----BEGIN')) {
    if (!existsSync(config.DKIM_PRIVATE_KEY))
      throw new ConfigError(
        `DKIM_PRIVATE_KEY: expected a PEM key or the path of a PEM file, got a path that does not exist`,
      );
    config.DKIM_PRIVATE_KEY = readFileSync(config.DKIM_PRIVATE_KEY, 'utf8');
  }
  if (config.BOUNCE_SMTP_PORT !== undefined && !config.BOUNCE_DOMAIN) {
    throw new ConfigError(
      'BOUNCE_SMTP_PORT: expected BOUNCE_DOMAIN too (the listener takes mail only for its return paths)',
    );
  }
  if (config.SENDS_PER_EMAIL_DAY < config.SENDS_PER_EMAIL_HOUR) {
    throw new ConfigError('SENDS_PER_EMAIL_DAY: expected a value at least SENDS_PER_EMAIL_HOUR');
  }
  return config;
}
