import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { GatewayEventNames } from '@cleave/contracts';
import { MessageBus, PeriodicJob } from '@cleave/platform';

/** How often abandonments that could not be recorded are tried again. */
const RETRY_EVERY_MS = 2_000;
/** More than this many unrecorded at once means NATS has been gone for long: the oldest are given up, logged. */
const MAX_KEPT = 10_000;

/**
 * Abandonments the gateway told the network about but could reach neither cards nor the stream to record
 * (NATS down). Kept in this process and published as soon as the stream takes them, so an approval the
 * network never heard doesn't hold the customer's money until it expires. Lost only if this process ends
 * first, which is logged.
 */
@Injectable()
export class UnrecordedAbandonments implements OnApplicationShutdown {
  private readonly log = new Logger('CardNetwork');
  private readonly waiting = new Set<string>();
  private readonly job = new PeriodicJob('unrecorded abandonments', RETRY_EVERY_MS, () => this.publishWaiting(), this.log);

  constructor(private readonly bus: MessageBus) {}

  /** Keeps an abandonment to publish once the stream is back. */
  keep(networkTransactionId: string): void {
    if (this.waiting.size >= MAX_KEPT) {
      const oldest = this.waiting.values().next().value!;
      this.waiting.delete(oldest);
      this.log.error(`gave up recording the abandonment of ${oldest}: ${MAX_KEPT} newer ones wait`);
    }
    this.waiting.add(networkTransactionId);
    this.job.start();
  }

  private async publishWaiting(): Promise<void> {
    for (const networkTransactionId of [...this.waiting]) {
      try {
        await this.bus.emit(GatewayEventNames.AuthorisationAbandoned, { networkTransactionId });
      } catch {
        return; // Still unreachable: the next pass tries again.
      }
      this.waiting.delete(networkTransactionId);
      this.log.warn(`recorded the abandonment of ${networkTransactionId} late, once the stream took it`);
    }
    // Not awaited: this pass is what stopping waits for.
    if (this.waiting.size === 0) void this.job.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.job.stop();
    if (this.waiting.size > 0) await this.publishWaiting().catch(() => undefined);
    for (const networkTransactionId of this.waiting) {
      this.log.error(`stopping with the abandonment of ${networkTransactionId} unrecorded: an approval of it stays held until it expires`);
    }
  }
}
