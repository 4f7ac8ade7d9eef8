// pino JSON logs. Codes, API keys and secrets are redacted wherever they might appear;
// addresses are masked by the code that logs them (maskEmail).
import { pino, type DestinationStream, type Logger } from 'pino';

export const redactedPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'apiKey',
  '*.apiKey',
  'code',
  '*.code',
  'payload',
  '*.payload',
  'secret',
  '*.secret',
  'CODE_SECRET',
  'DKIM_PRIVATE_KEY',
  '*.DKIM_PRIVATE_KEY',
  '*.CODE_SECRET',
  'privateKey',
  '*.privateKey',
];

export function createLogger(level: string, stream?: DestinationStream): Logger {
  return pino({ level, redact: { paths: redactedPaths, censor: '[redacted]' } }, stream);
}
