// The console's pages: Eta templates under templates/console (the engine the mail uses),
// everything interpolated escaped, one layout. No inline script or style anywhere: the
// Content-Security-Policy forbids both, and the stylesheet is a file of its own.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Eta } from 'eta';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { templatesDir } from '../shared/paths.js';
import { csrfToken } from './cookies.js';
import { escapeMarkup } from './escape.js';

const views = new Eta({ views: join(templatesDir, 'console'), autoEscape: true, cache: true });

export const stylesheet = readFileSync(join(templatesDir, 'console', 'console.css'), 'utf8');

/** The console's own policy: its stylesheet, its images, its forms, frames of its own mail previews; nothing inline. */
export const consoleCsp =
  "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'";

const dateTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' });

/** What every template may use. */
export const helpers = {
  when: (ms: number | null | undefined) =>
    ms === null || ms === undefined ? '—' : `${dateTime.format(new Date(ms))} UTC`,
  iso: (ms: number) => new Date(ms).toISOString(),
  duration(ms: number): string {
    const s = Math.ceil(ms / 1000);
    if (s < 60) return `${s} s`;
    const m = Math.ceil(s / 60);
    if (m < 120) return `${m} min`;
    return `${Math.floor(m / 60)} h ${m % 60} min`;
  },
  percent: (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)} %`),
  /** For the few pieces of HTML a template builds as a string (written with <%~): every value in them escaped. */
  escape: escapeMarkup,
};

export interface PageData {
  title: string;
  /** The session id the page's forms are bound to, when not the signed-in one (the sign-in steps). */
  csrfFor?: string;
  [key: string]: unknown;
}

/** Renders `view` inside the layout, with the operator and the session's CSRF token when signed in. */
export function page(request: FastifyRequest, reply: FastifyReply, view: string, data: PageData, status = 200) {
  const signedIn = request.operatorSession;
  // The session the forms belong to: the signed-in one, or a sign-in step's.
  const bindTo = data.csrfFor ?? signedIn?.cookie;
  const html = views.render(view, {
    ...data,
    h: helpers,
    operator: signedIn?.operator ?? null,
    csrf: bindTo ? csrfToken(request, reply, bindTo) : null,
    path: request.url.split('?')[0],
  });
  return reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html);
}
