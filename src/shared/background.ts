// The work beside the requests — mail delivery, webhook delivery, the expiry sweep, the
// hourly purge — runs through one loop: a pass, then the next one after the job's idle
// wait, or at once when the pass left work waiting or something woke the job meanwhile.
// A pass that throws is logged and tried again after the wait. Stopping lets the pass in
// flight end, then waits for what it started (mail being delivered).

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

type OnError = (job: BackgroundJob, error: unknown) => void;

/** One job's loop. */
export class JobLoop {
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;
  private again = false;
  private wakeQueued = false;
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
    private readonly onError: OnError,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    const prepared = this.job.prepare?.() ?? Promise.resolve();
    void prepared.catch((error: unknown) => this.onError(this.job, error)).then(() => this.schedule(this.job.firstPassAfterMs ?? 0));
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
      .catch((error: unknown) => {
        this.onError(this.job, error);
        return false;
      })
      .then((more) => {
        this.current = undefined;
        const now = more || this.again;
        this.again = false;
        this.schedule(now ? 0 : this.job.idleMs);
      });
  }
}

/** The one place every background job is started and stopped. */
export class Background {
  private readonly loops: JobLoop[];

  constructor(jobs: BackgroundJob[], onError: OnError) {
    this.loops = jobs.map((job) => new JobLoop(job, onError));
  }

  start(): void {
    for (const loop of this.loops) loop.start();
  }

  /** Every job's pass in flight ends and its work drains, all at once. */
  async stop(): Promise<void> {
    await Promise.all(this.loops.map((loop) => loop.stop()));
  }
}
