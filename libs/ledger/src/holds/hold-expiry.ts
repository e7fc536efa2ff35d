import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { LedgerSettings } from '../ledger.settings';
import { HoldsHandler } from './holds.handler';

/** Releases expired holds on a timer, in every ledger replica (the release is idempotent). */
@Injectable()
export class HoldExpiry implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('HoldExpiry');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly holds: HoldsHandler,
    @Inject(LedgerSettings) private readonly settings: LedgerSettings,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.sweep(), this.settings.CLEAVE_HOLD_SWEEP_MS).unref();
  }

  /** Stops before the databases close (their own hooks run at onApplicationShutdown), letting a pass in progress finish. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass, never two at once. */
  sweep(): Promise<unknown> {
    this.running = this.running.then(async () => {
      try {
        const expired = await this.holds.expireDue();
        if (expired > 0) this.log.log(`released ${expired} expired hold${expired > 1 ? 's' : ''}`);
      } catch (error) {
        this.log.error(`expiring holds failed: ${(error as Error).message}`, (error as Error).stack);
      }
    });
    return this.running;
  }
}
