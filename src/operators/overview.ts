// The console's overview of the last 24 hours, from the trail: codes sent, verified,
// failed and locked hour by hour, how much mail was delivered, where it bounced, and how
// the webhooks fare. Counted from events (the same in every process, unlike the metrics).
import type { AuditEvent, EventType } from '../events/model.js';
import type { EventsService } from '../events/service.js';

/** What the overview needs of a webhook endpoint (webhooks/model.ts has the whole). */
export interface WebhookEndpoint {
  id: string;
  clientId: string;
  url: string;
  status: 'active' | 'disabled';
  disabledReason: string | null;
}

export const overviewHours = 24;
const hourMs = 3_600_000;
/** The most events read for one overview: past it, the figures say they are a lower bound. */
export const overviewEventLimit = 50_000;

/** What each series counts. "Failed": codes that never did their job — mail that failed for good, or a code that expired unused. */
const series = {
  sent: ['verification.created', 'verification.code_resent'],
  verified: ['verification.verified'],
  failed: ['mail.failed', 'verification.expired'],
  locked: ['verification.locked'],
} satisfies Record<string, EventType[]>;
export type Series = keyof typeof series;

export interface HourCounts {
  start: number;
  counts: Record<Series, number>;
}

export interface Overview {
  since: number;
  hours: HourCounts[];
  totals: Record<Series, number>;
  /** Delivered of the mails that reached an end (sent, bounced, failed); null when none did. */
  delivery: { delivered: number; bounced: number; failed: number; rate: number | null };
  /** Bounces by recipient domain, most first. */
  bouncesByDomain: { domain: string; count: number }[];
  webhooks: {
    total: number;
    active: number;
    disabled: number;
    disabledList: Pick<WebhookEndpoint, 'id' | 'clientId' | 'url' | 'disabledReason'>[];
  };
  /** True when more events happened than were read (the figures are at least these). */
  truncated: boolean;
}

const zero = (): Record<Series, number> => ({ sent: 0, verified: 0, failed: 0, locked: 0 });

export function summarize(
  events: AuditEvent[],
  endpoints: WebhookEndpoint[],
  now: number,
  truncated = false,
): Overview {
  const firstHour = Math.floor(now / hourMs) * hourMs - (overviewHours - 1) * hourMs;
  const hours: HourCounts[] = Array.from({ length: overviewHours }, (_, i) => ({
    start: firstHour + i * hourMs,
    counts: zero(),
  }));
  const totals = zero();
  const delivery = { delivered: 0, bounced: 0, failed: 0 };
  const bounces = new Map<string, number>();
  for (const e of events) {
    const hour = hours[Math.floor((e.at - firstHour) / hourMs)];
    for (const [name, types] of Object.entries(series) as [Series, EventType[]][]) {
      if (!types.includes(e.type)) continue;
      totals[name]++;
      if (hour) hour.counts[name]++;
    }
    if (e.type === 'mail.sent') delivery.delivered++;
    if (e.type === 'mail.failed' && e.data.reason !== 'code expired before delivery') delivery.failed++;
    if (e.type === 'mail.bounced') {
      delivery.bounced++;
      const domain = e.maskedEmail?.split('@')[1] ?? 'unknown';
      bounces.set(domain, (bounces.get(domain) ?? 0) + 1);
    }
  }
  const ended = delivery.delivered + delivery.bounced + delivery.failed;
  const disabled = endpoints.filter((w) => w.status === 'disabled');
  return {
    since: firstHour,
    hours,
    totals,
    delivery: { ...delivery, rate: ended === 0 ? null : delivery.delivered / ended },
    bouncesByDomain: [...bounces]
      .map(([domain, count]) => ({ domain, count }))
      .sort((a, b) => b.count - a.count || a.domain.localeCompare(b.domain)),
    webhooks: {
      total: endpoints.length,
      active: endpoints.length - disabled.length,
      disabled: disabled.length,
      disabledList: disabled.map(({ id, clientId, url, disabledReason }) => ({ id, clientId, url, disabledReason })),
    },
    truncated,
  };
}

const counted: EventType[] = [
  ...new Set([...Object.values(series).flat(), 'mail.sent', 'mail.bounced', 'mail.failed'] as EventType[]),
];

export async function overview(
  deps: { events: Pick<EventsService, 'since'>; webhooks: { list(): Promise<WebhookEndpoint[]> } },
  now: number,
): Promise<Overview> {
  const since = Math.floor(now / hourMs) * hourMs - (overviewHours - 1) * hourMs;
  const [events, endpoints] = await Promise.all([
    deps.events.since(since, counted, overviewEventLimit + 1),
    deps.webhooks.list(),
  ]);
  return summarize(events.slice(0, overviewEventLimit), endpoints, now, events.length > overviewEventLimit);
}
