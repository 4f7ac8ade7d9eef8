// The expiry sweep without a database: each pass marks what expired since the last one,
// the first pass catches up on what expired while no process swept, a row another
// transaction held is marked by a later pass, and a backlog is worked off in batches.
import t from 'tap';
import { ExpirySweep, type ExpiryPort, type ExpiryWindow } from '../../src/verification/expiry.js';
import type { NewEvent } from '../../src/events/model.js';

const day = 86_400_000;
const start = Date.UTC(2026, 10, 26, 12);

interface Row {
  id: string;
  clientId: string;
  email: string;
  expiresAt: number;
  status: 'pending' | 'verified' | 'expired';
}

/** The port over an array; `held` ids are skipped, as SKIP LOCKED skips rows in use. */
function memoryPort(rows: Row[], lookbackMs = 0) {
  const held = new Set<string>();
  const windows: ExpiryWindow[] = [];
  const events: NewEvent[] = [];
  const port: ExpiryPort = {
    expiryLookbackMs: lookbackMs,
    async expireDue(window, limit, eventsFor) {
      windows.push(window);
      const due = rows
        .filter(
          (r) => r.status === 'pending' && r.expiresAt > window.after && r.expiresAt <= window.upTo && !held.has(r.id),
        )
        .sort((a, b) => a.expiresAt - b.expiresAt)
        .slice(0, limit);
      for (const r of due) {
        r.status = 'expired';
        events.push(...eventsFor(r));
      }
      return due.length;
    },
  };
  return { port, held, windows, events };
}

const row = (id: string, expiresAt: number, status: Row['status'] = 'pending'): Row => ({
  id,
  clientId: 'cl_a',
  email: `${id}@acme.example`,
  expiresAt,
  status,
});

function sweepAt(port: ExpiryPort, clock: { now: number }, catchUpMs = 30 * day) {
  return new ExpirySweep(port, () => clock.now, catchUpMs);
}

t.test(
  'the first pass marks what expired pending within the catch-up time, once, with its event at the expiry',
  async (t) => {
    const rows = [
      row('vf_old', start - 31 * day),
      row('vf_missed', start - 2 * day),
      row('vf_used', start - 60_000, 'verified'),
      row('vf_live', start + 60_000),
    ];
    const { port, events } = memoryPort(rows);
    const clock = { now: start };
    const sweep = sweepAt(port, clock);
    t.equal(await sweep.runOnce(), 1);
    t.same(
      rows.map((r) => r.status),
      ['pending', 'expired', 'verified', 'pending'],
      'older than the catch-up is left (its event would be purged at once); a used code is not expired; a live one waits',
    );
    t.match(events, [{ type: 'verification.expired', subject: 'vf_missed', at: start - 2 * day, actor: 'mailcode' }]);
    t.equal(await sweep.runOnce(), 0, 'once');
    clock.now = start + 60_000;
    t.equal(await sweep.runOnce(), 1, 'the live one, when its time comes');
    t.equal(rows[3]!.status, 'expired');
  },
);

t.test(
  'a first pass goes through the catch-up an hour at a time; a later pass looks only at what expired since',
  async (t) => {
    const { port, windows } = memoryPort([]);
    const clock = { now: start };
    const sweep = sweepAt(port, clock, 3 * 3_600_000);
    await sweep.runOnce();
    clock.now = start + 1_000;
    await sweep.runOnce();
    t.same(windows, [
      { after: start - 3 * 3_600_000, upTo: start - 2 * 3_600_000 },
      { after: start - 2 * 3_600_000, upTo: start - 3_600_000 },
      { after: start - 3_600_000, upTo: start },
      { after: start, upTo: start + 1_000 },
    ]);
  },
);

t.test('where a pass may skip a row in use, later passes look back and mark it', async (t) => {
  const rows = [row('vf_busy', start - 500)];
  const { port, held, events } = memoryPort(rows, 10_000);
  const clock = { now: start };
  const sweep = sweepAt(port, clock);
  held.add('vf_busy');
  t.equal(await sweep.runOnce(), 0, 'held by an attempt as the pass went by');
  held.clear();
  clock.now = start + 1_000;
  t.equal(await sweep.runOnce(), 1, 'the next pass marks it');
  t.equal(events.length, 1);
});

t.test('a backlog is marked 500 at a time, 20 full batches a pass; the next pass goes on from there', async (t) => {
  const rows = Array.from({ length: 10_700 }, (_, i) => row(`vf_${i}`, start - 1_000 - i));
  const { port, windows } = memoryPort(rows);
  const clock = { now: start };
  const sweep = sweepAt(port, clock);
  t.equal(await sweep.runOnce(), 10_000);
  t.same(windows.at(-1), { after: start - 3_600_000, upTo: start }, 'the backlog is in the last hour');
  t.equal(windows.filter((w) => w.upTo === start).length, 20, 'twenty batches from it');
  windows.length = 0;
  clock.now = start + 1_000;
  t.equal(await sweep.runOnce(), 700);
  t.same(windows[0], { after: start - 3_600_000, upTo: start }, 'from the hour it had not finished');
  t.same(windows.at(-1), { after: start, upTo: start + 1_000 }, 'and on to the present');
  t.ok(rows.every((r) => r.status === 'expired'));
});
