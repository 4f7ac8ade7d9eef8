// Small charts drawn on the server as SVG: readable without JavaScript, coloured by
// presentation attributes (no style attribute, which the console's CSP forbids), each with
// a title and a table of the same numbers beside it for screen readers.
import { escapeMarkup } from './escape.js';

export interface Bar {
  label: string;
  value: number;
}

/** Vertical bars, one per label (the hours of the day), scaled to the largest. */
export function barChart(
  bars: Bar[],
  options: { title: string; colour: string; width?: number; height?: number },
): string {
  const width = options.width ?? 480;
  const height = options.height ?? 120;
  const top = Math.max(1, ...bars.map((b) => b.value));
  const slot = width / Math.max(1, bars.length);
  const rects = bars
    .map((b, i) => {
      const h = Math.round((b.value / top) * (height - 20));
      return `<rect x="${(i * slot + 1).toFixed(1)}" y="${height - 16 - h}" width="${Math.max(1, slot - 2).toFixed(1)}" height="${h}" fill="${options.colour}"><title>${escapeMarkup(`${b.label}: ${b.value}`)}</title></rect>`;
    })
    .join('');
  const first = bars[0]?.label ?? '';
  const last = bars[bars.length - 1]?.label ?? '';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${escapeMarkup(options.title)}">` +
    `<title>${escapeMarkup(options.title)}</title>${rects}` +
    `<line x1="0" y1="${height - 15.5}" x2="${width}" y2="${height - 15.5}" stroke="#5f6b7a" stroke-width="1"/>` +
    `<text x="0" y="${height - 2}" font-size="11" fill="#2d3748">${escapeMarkup(first)}</text>` +
    `<text x="${width}" y="${height - 2}" font-size="11" fill="#2d3748" text-anchor="end">${escapeMarkup(last)}</text>` +
    `<text x="${width}" y="11" font-size="11" fill="#2d3748" text-anchor="end">max ${top}</text></svg>`
  );
}

/** Horizontal bars (bounces by domain), labelled. */
export function rowChart(rows: Bar[], options: { title: string; colour: string; width?: number }): string {
  const width = options.width ?? 480;
  const rowHeight = 22;
  const top = Math.max(1, ...rows.map((r) => r.value));
  const labelWidth = 170;
  const body = rows
    .map((r, i) => {
      const w = Math.max(2, Math.round((r.value / top) * (width - labelWidth - 40)));
      const y = i * rowHeight;
      return (
        `<text x="0" y="${y + 15}" font-size="12" fill="#2d3748">${escapeMarkup(r.label.length > 26 ? `${r.label.slice(0, 25)}…` : r.label)}</text>` +
        `<rect x="${labelWidth}" y="${y + 4}" width="${w}" height="14" fill="${options.colour}"/>` +
        `<text x="${labelWidth + w + 4}" y="${y + 15}" font-size="12" fill="#2d3748">${r.value}</text>`
      );
    })
    .join('');
  const height = Math.max(rowHeight, rows.length * rowHeight);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${escapeMarkup(options.title)}"><title>${escapeMarkup(options.title)}</title>${body}</svg>`;
}
