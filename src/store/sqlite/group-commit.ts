// Group commit: the units of work that arrive in one turn of the event loop run in one
// SQLite transaction, each inside its own savepoint. A commit writes every changed page to
// the WAL, and the same pages (the tables' and indexes' last leaves) change in every send,
// so fifty sends in one commit cost little more than one. Nothing is answered before its
// commit: a 202 still means the code and its outbox row are on disk together.
import type Database from 'better-sqlite3';

interface Pending {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  outcome?: { ok: true; value: unknown } | { ok: false; error: unknown };
}

export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled = false;
  private readonly runBatch: Database.Transaction<(batch: Pending[]) => void>;
  private readonly runOne: Database.Transaction<(work: () => unknown) => unknown>;

  constructor(sqlite: Database.Database) {
    // Inside the batch's transaction, better-sqlite3 runs this as SAVEPOINT … RELEASE,
    // rolling back to the savepoint when the work throws: one failure spoils nothing else.
    this.runOne = sqlite.transaction((work: () => unknown) => work());
    this.runBatch = sqlite.transaction((batch: Pending[]) => {
      for (const item of batch) {
        try {
          item.outcome = { ok: true, value: this.runOne(item.work) };
        } catch (error) {
          item.outcome = { ok: false, error };
        }
      }
    });
  }

  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    this.scheduled = false;
    try {
      // IMMEDIATE takes the write lock first, so no other process slips in between a
      // check and its write.
      this.runBatch.immediate(batch);
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    for (const item of batch) {
      if (item.outcome?.ok) item.resolve(item.outcome.value);
      else item.reject(item.outcome?.error);
    }
  }
}
