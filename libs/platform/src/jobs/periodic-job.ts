import type { Logger } from '@nestjs/common';

/**
 * Work a context does on a timer, in every replica: one pass at a time (a pass asked for while one runs
 * waits for it), a failed pass logged and tried again at the next tick, and stopping waits for the pass in
 * hand. Stop it in `beforeApplicationShutdown`, so a pass never outlives the database it works on. The timer
 * is unref'd: it never keeps a process alive on its own.
 */
export class PeriodicJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly name: string,
    private readonly everyMs: number,
    private readonly pass: () => Promise<unknown>,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => {
      this.run().catch((error: unknown) => this.log.warn(`${this.name} failed, will retry: ${(error as Error).message}`));
    }, this.everyMs).unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /**
   * Runs `work` (the job's own pass unless given) once any pass in progress is done; never two at once. A
   * pass must not call this on its own job: it would wait for itself.
   */
  run<T = unknown>(work: () => Promise<T> = this.pass as () => Promise<T>): Promise<T> {
    const pass = this.running.then(work);
    this.running = pass.catch(() => undefined);
    return pass;
  }
}
