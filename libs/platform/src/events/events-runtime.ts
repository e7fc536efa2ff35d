import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { CleaveConfig } from '../config/cleave-config';
import { CLEAVE_CONFIG } from '../config/tokens';
import { ContextDatabases } from '../database/context-databases';
import { EventBus } from './event-bus';
import { OutboxRelay } from './outbox-relay';

/**
 * Starts this process's outbox relays and event consumers once everything is up, and stops them before the
 * databases and NATS close (their hooks run at onApplicationShutdown), letting work in hand finish.
 */
@Injectable()
export class EventsRuntime implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private relays: OutboxRelay[] = [];

  constructor(
    private readonly events: EventBus,
    private readonly dbs: ContextDatabases,
    @Inject(CLEAVE_CONFIG) private readonly config: CleaveConfig,
  ) {}

  /** True when no relay is publishing and no event is being handled in this process. */
  get idle(): boolean {
    return this.relays.every((r) => !r.busy) && this.events.idle;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.events.start();
    // Before the process answers requests (CleaveServer.serveRequests, once bootstrap is done).
    await this.events.caughtUp(this.config.events.catchUpMs);
    const { outboxPollMs: pollMs, pruneMs } = this.config.events;
    this.relays = this.dbs.withEvents().map(([context, db]) => new OutboxRelay(context, db, this.events, { pollMs, pruneMs }));
    this.events.onStreamReset(() => {
      for (const relay of this.relays) void relay.republishRetained();
    });
    for (const relay of this.relays) relay.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.relays.map((r) => r.stop()));
    await this.events.stop();
  }

  /** Each relay's lag, for health and metrics. */
  async outboxLag(): Promise<Record<string, { pending: number; oldestAgeMs: number }>> {
    return Object.fromEntries(await Promise.all(this.relays.map(async (r) => [r.context, await r.lag()] as const)));
  }
}
