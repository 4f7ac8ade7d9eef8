// Where mail goes: SMTP when SMTP_URL is set (pooled connections), otherwise .eml files
// under MAIL_DIR — the embedded default, so the service runs with nothing else installed.
import { access, mkdir, rename, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import type Mail from 'nodemailer/lib/mailer/index.js';
import { relayLabel } from './relay-health.js';

export interface SentMail {
  messageId: string;
  /** The receiving server's reply to the message (SMTP: its 250 line). */
  response?: string;
  file?: string;
}

export interface MailTransport {
  readonly kind: 'smtp' | 'file';
  /** What the operator calls it: an SMTP relay's host:port (never its credentials). */
  readonly label?: string;
  /** @param returnPath the envelope sender (bounces go there), when not the From address. */
  send(message: Mail.Options, name: string, returnPath?: string): Promise<SentMail>;
  /** Whether mail can be handed over now (for /readyz). */
  ready(): Promise<boolean>;
  close(): void;
}

export interface DkimOptions {
  domainName: string;
  keySelector: string;
  privateKey: string;
}

export function smtpTransport(url: string, dkim?: DkimOptions): MailTransport {
  const transporter = nodemailer.createTransport({
    url,
    ...(dkim ? { dkim } : {}),
    pool: true,
    maxConnections: 8,
    // Reconnecting every 100 mails (nodemailer's default) costs a handshake per 100.
    maxMessages: 10_000,
    // Fail fast: the outbox retries, a hung connection only delays every other mail.
    connectionTimeout: 5_000,
    greetingTimeout: 5_000,
    socketTimeout: 15_000,
  } as never);
  return {
    kind: 'smtp',
    label: relayLabel(url),
    async send(message, _name, returnPath) {
      // Composed to one buffer first: the SMTP connection then writes the message in a few
      // large chunks instead of one small write per MIME line (measured: the socket writes
      // were the worker's largest cost).
      const raw = await new MailComposer(message).compile().build();
      // A client's own DKIM key rides on the message (nodemailer signs with it instead of the transport's).
      const info = await transporter.sendMail({
        envelope: { from: returnPath ?? (message.from as string), to: message.to as string },
        raw,
        messageId: message.messageId,
        ...(message.dkim ? { dkim: message.dkim } : {}),
      });
      return { messageId: info.messageId, response: info.response };
    },
    async ready() {
      try {
        return await transporter.verify();
      } catch {
        return false;
      }
    },
    close: () => transporter.close(),
  };
}

export function fileTransport(dir: string, dkim?: DkimOptions): MailTransport {
  const directory = resolve(dir);
  const transporter = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'unix',
    ...(dkim ? { dkim } : {}),
  });
  return {
    kind: 'file',
    async send(message, name) {
      const info = await transporter.sendMail(message);
      await mkdir(directory, { recursive: true });
      const file = join(directory, `${new Date().toISOString().replace(/[:.]/g, '-')}-${name}.eml`);
      // Written under a name no *.eml watcher matches, then renamed (atomic in one
      // directory): a reader sees no file or the whole mail, never half of one.
      const partial = join(directory, `.${basename(file)}.partial`);
      await writeFile(partial, info.message as Buffer);
      await rename(partial, file);
      return { messageId: info.messageId, file };
    },
    async ready() {
      try {
        await mkdir(directory, { recursive: true });
        await access(directory, constants.W_OK);
        return true;
      } catch {
        return false;
      }
    },
    close: () => transporter.close(),
  };
}

export function createMailTransport(config: {
  SMTP_URL?: string;
  MAIL_DIR: string;
  DKIM_DOMAIN?: string;
  DKIM_SELECTOR?: string;
  DKIM_PRIVATE_KEY?: string;
}): MailTransport {
  const dkim = serverDkim(config);
  return config.SMTP_URL ? smtpTransport(config.SMTP_URL, dkim) : fileTransport(config.MAIL_DIR, dkim);
}

/** The server-wide DKIM key, when all three settings are given (config checks that): signs what no client key does. */
export function serverDkim(config: {
  DKIM_DOMAIN?: string;
  DKIM_SELECTOR?: string;
  DKIM_PRIVATE_KEY?: string;
}): DkimOptions | undefined {
  return config.DKIM_DOMAIN && config.DKIM_SELECTOR && config.DKIM_PRIVATE_KEY
    ? { domainName: config.DKIM_DOMAIN, keySelector: config.DKIM_SELECTOR, privateKey: config.DKIM_PRIVATE_KEY }
    : undefined;
}
