import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { PeriodicJob } from '@cleave/platform';
import { LedgerSettings } from '../ledger.settings';
import { HoldsHandler } from './holds.handler';

/** Releases expired holds on a timer, in every ledger replica (the release is idempotent). */
@Injectable()
export class HoldExpiry implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('HoldExpiry');
  private readonly job: PeriodicJob;

  constructor(
    private readonly holds: HoldsHandler,
    @Inject(LedgerSettings) settings: LedgerSettings,
  ) {
    this.job = new PeriodicJob('expiring holds', settings.CLEAVE_HOLD_SWEEP_MS, () => this.expire(), this.log);
  }

  onApplicationBootstrap(): void {
    this.job.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.job.stop();
  }

  private async expire(): Promise<void> {
    const expired = await this.holds.expireDue();
    if (expired > 0) this.log.log(`released ${expired} expired hold${expired > 1 ? 's' : ''}`);
  }
}
