import type { Logger } from '@nestjs/common';
import { outsideAnyCall } from '../context/call-context';

/**
 * Work done on a timer and when woken, in every replica: one pass at a time, a failed pass logged and tried
 * again at the next tick or wake, and stopping waits for the pass in hand. Wakes coalesce: however many
 * arrive while a pass runs, one more pass follows it. Stop it in `beforeApplicationShutdown`, so a pass
 * never outlives the database it works on. The timer is unref'd: it never keeps a process alive on its own.
 */
export class PeriodicJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private woken = false;
  private passing = false;
  private stopped = false;

  constructor(
    private readonly name: string,
    private readonly everyMs: number,
    private readonly pass: () => Promise<unknown>,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.stopped = false;
    this.timer ??= setInterval(() => this.wake(), this.everyMs).unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** True once stopping: a pass that loops should end early. */
  get stopping(): boolean {
    return this.stopped;
  }

  /** True while a pass runs or one has been asked for. */
  get busy(): boolean {
    return this.woken || this.passing;
  }

  /**
   * Asks for a pass soon: after the pass in hand, and on a later turn of the event loop, so that work
   * committed together in this turn is taken in one pass.
   */
  wake(): void {
    if (this.stopped || this.woken) return;
    this.woken = true;
    // Woken by a call's commit, the pass is still not that call's: not bound by its deadline, nor in its trace.
    void outsideAnyCall(() =>
      this.run(async () => {
        await new Promise<void>((resolve) => setImmediate(resolve));
        this.woken = false;
        if (!this.stopped) await this.pass();
      }).catch((error: unknown) => this.log.warn(`${this.name} failed, will retry: ${(error as Error).message}`)),
    );
  }

  /**
   * Runs `work` (the job's own pass unless given) once any pass in progress is done; never two at once. A
   * pass must not call this on its own job: it would wait for itself.
   */
  run<T = unknown>(work: () => Promise<T> = this.pass as () => Promise<T>): Promise<T> {
    const pass = this.running.then(async () => {
      this.passing = true;
      try {
        return await work();
      } finally {
        this.passing = false;
      }
    });
    this.running = pass.catch(() => undefined);
    return pass;
  }
}
