import type { Purpose } from '../store/types.js';

/** What the worker needs to write one code mail; stored encrypted in the outbox. */
export interface CodeMail {
  to: string;
  from: string;
  clientName: string;
  code: string;
  purpose: Purpose;
  locale: string;
  ttlMinutes: number;
  verificationId: string;
}
