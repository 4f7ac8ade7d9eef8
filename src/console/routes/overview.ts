// The overview: the last 24 hours from the trail, drawn on the server.
import type { FastifyInstance } from 'fastify';
import { overview } from '../../operators/overview.js';
import { barChart, rowChart } from '../charts.js';
import type { ConsoleServices } from '../services.js';
import { page } from '../views.js';

const hourLabel = (ms: number) => `${new Date(ms).toISOString().slice(11, 16)} UTC`;

/** Colours with at least 3:1 contrast on white (WCAG 1.4.11 for graphics). */
const colours = { sent: '#2563a8', verified: '#1f7a3f', failed: '#b3261e', locked: '#8a4b00' } as const;

export function registerOverviewRoutes(app: FastifyInstance, services: ConsoleServices) {
  app.get('/overview', async (request, reply) => {
    const summary = await overview({ events: services.events, webhooks: services.webhooks }, services.now());
    const charts = (Object.keys(colours) as (keyof typeof colours)[]).map((name) => ({
      name,
      total: summary.totals[name],
      svg: barChart(
        summary.hours.map((h) => ({ label: hourLabel(h.start), value: h.counts[name] })),
        { title: `Codes ${name}, per hour, last 24 hours`, colour: colours[name] },
      ),
    }));
    const bounces = rowChart(
      summary.bouncesByDomain.slice(0, 10).map((b) => ({ label: b.domain, value: b.count })),
      { title: 'Bounces by recipient domain', colour: colours.failed },
    );
    return page(request, reply, 'overview', { title: 'Overview', summary, charts, bounces, hourLabel });
  });
}
