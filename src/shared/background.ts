// The work beside the requests — mail delivery, webhook delivery, the expiry sweep, the
// hourly purge — runs through one loop: a pass, then the next one after the job's idle
// wait, or at once when the pass left work waiting or something woke the job meanwhile.
// A pass that throws never ends the loop (nor the process): it is tried again after a
// backoff of one to five seconds — soon enough to be running again within seconds of the
// database's return, rare enough not to hammer one that is restarting. The loop says so
// once when a job starts failing and once when it runs again, not at every pass of an
// outage. Stopping lets the pass in flight end, then waits for what it started.

export interface BackgroundJob {
  /** Names the job in the log. */
  readonly name: string;
  /** The wait between passes that left nothing waiting (ms). */
  readonly idleMs: number;
  /** The wait before the first pass (ms); none by default. */
  readonly firstPassAfterMs?: number;
  /** Once, before the first pass (the mail worker takes back what a dead process had claimed). */
  prepare?(): Promise<void>;
  /**
   * One pass; true when work is left waiting, so the next starts at once. `wake` starts
   * another pass as soon as possible: the job calls it when work arrives outside a pass.
   */
  pass(wake: () => void): Promise<boolean>;
  /** After the last pass: waits for what the passes started and did not wait for. */
  drain?(): Promise<void>;
}

/** What the loops tell the log: a job's first failed pass of a run of them, and its first good pass after. */
export interface JobReports {
  /** `failures`: how many passes in a row have failed (the caller decides what to say of the second and later ones). */
  failed(job: BackgroundJob, error: unknown, failures: number): void;
  recovered(job: BackgroundJob, failures: number): void;
}

/** The wait after the n-th failed pass in a row: 1, 2, 4, then 5 s. */
export const failureBackoffMs = (failures: number): number => Math.min(1_000 * 2 ** Math.max(0, failures - 1), 5_000);

/** One job's loop. */
export class JobLoop {
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;
  private again = false;
  private wakeQueued = false;
  /** Passes that failed in a row. */
  private failures = 0;
  /** One function for the job's lifetime, so it can keep it. */
  readonly wake = (): void => {
    if (!this.running || this.wakeQueued) return;
    // Many wakes in one tick (a burst of sends) make one pass.
    this.wakeQueued = true;
    setImmediate(() => {
      this.wakeQueued = false;
      this.run();
    });
  };

  constructor(
    readonly job: BackgroundJob,
    private readonly reports: JobReports,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    const prepared = this.job.prepare?.() ?? Promise.resolve();
    void prepared
      .catch((error: unknown) => this.reports.failed(this.job, error, 1))
      .then(() => this.schedule(this.job.firstPassAfterMs ?? 0));
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.current;
    await this.job.drain?.();
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    clearTimeout(this.timer);
    // The loop never keeps a process alive on its own.
    this.timer = setTimeout(() => this.run(), delayMs).unref();
  }

  private run(): void {
    if (!this.running) return;
    if (this.current) {
      this.again = true;
      return;
    }
    this.current = this.job
      .pass(this.wake)
      .then(
        (more) => {
          if (this.failures > 0) this.reports.recovered(this.job, this.failures);
          this.failures = 0;
          return more || this.again ? 0 : this.job.idleMs;
        },
        (error: unknown) => {
          this.failures++;
          this.reports.failed(this.job, error, this.failures);
          return failureBackoffMs(this.failures);
        },
      )
      .then((delayMs) => {
        this.current = undefined;
        this.again = false;
        this.schedule(delayMs);
      });
  }
}

/** The one place every background job is started and stopped. */
export class Background {
  private readonly loops: JobLoop[];

  constructor(jobs: BackgroundJob[], reports: JobReports) {
    this.loops = jobs.map((job) => new JobLoop(job, reports));
  }

  start(): void {
    for (const loop of this.loops) loop.start();
  }

  /** Every job's pass in flight ends and its work drains, all at once. */
  async stop(): Promise<void> {
    await Promise.all(this.loops.map((loop) => loop.stop()));
  }
}
