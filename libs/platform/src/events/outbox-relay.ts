import { Logger } from '@nestjs/common';
import { In, IsNull, LessThan, Not } from 'typeorm';
import type { ContextDatabase } from '../database/context-database';
import type { EventBus } from './event-bus';
import { InboxRecord, OutboxEvent } from './event.entities';
import type { EventEnvelope } from './event-envelope';
import { OUTBOX_SIGNAL } from './outbox';

const BATCH = 100;
const POLL_MS = 500;
const PRUNE_MS = 60_000;
const DAY_MS = 24 * 3600 * 1000;
/** Published rows are kept as long as the stream keeps events, then pruned. */
const KEEP_PUBLISHED_MS = 7 * DAY_MS;
/** Seen event ids are kept well past anything that could still redeliver them (the stream keeps 7 days). */
const KEEP_INBOX_MS = 14 * DAY_MS;

/**
 * Publishes a context's outbox, oldest first, after each commit and on a timer. A row is marked published
 * only once the event bus has it (JetStream stored it, or every local subscriber handled it), so a crash
 * anywhere means a republish, never a loss; JetStream and the consumers' inboxes drop the duplicate.
 * Replicas sharing a database may publish the same row: each publishes in order, so order holds.
 */
export class OutboxRelay {
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private pruner: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    readonly context: string,
    private readonly db: ContextDatabase,
    private readonly events: EventBus,
  ) {
    this.log = new Logger(`Outbox:${context}`);
  }

  start(): void {
    // Woken by commits that wrote events, not by every commit (its own marking included).
    this.db.onSignal(OUTBOX_SIGNAL, () => this.wake());
    this.timer = setInterval(() => this.wake(), POLL_MS).unref();
    this.pruner = setInterval(() => void this.prune(), PRUNE_MS).unref();
    this.wake();
  }

  /** Drops what no longer serves: published outbox rows and inbox records past their keeping time. */
  async prune(now = Date.now()): Promise<void> {
    try {
      await this.db.transaction(async (em) => {
        await em.delete(OutboxEvent, { publishedAt: LessThan(new Date(now - KEEP_PUBLISHED_MS).toISOString()) });
        await em.delete(InboxRecord, { processedAt: LessThan(new Date(now - KEEP_INBOX_MS).toISOString()) });
      });
    } catch (error) {
      this.log.warn(`pruning failed: ${(error as Error).message}`);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearInterval(this.pruner);
    await this.running;
  }

  /**
   * Publishes again every event the outbox still keeps (a week's worth): the broker lost its stream, and with
   * it events no consumer had read yet. The consumers' inboxes drop those they had handled.
   */
  async republishRetained(): Promise<void> {
    try {
      await this.db.transaction((em) => em.update(OutboxEvent, { publishedAt: Not(IsNull()) }, { publishedAt: null }));
      this.wake();
    } catch (error) {
      this.log.error(`could not queue the outbox for republishing: ${(error as Error).message}`);
    }
  }

  /** How far behind the relay is: unpublished events, and the age of the oldest. */
  async lag(): Promise<{ pending: number; oldestAgeMs: number }> {
    return this.db.read(async (em) => {
      const pending = await em.countBy(OutboxEvent, { publishedAt: IsNull() });
      const oldest = pending === 0 ? null : await em.findOne(OutboxEvent, { where: { publishedAt: IsNull() }, order: { seq: 'ASC' } });
      return { pending, oldestAgeMs: oldest ? Date.now() - Date.parse(oldest.createdAt) : 0 };
    });
  }

  private wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  private async drain(): Promise<void> {
    for (;;) {
      const rows = await this.db.read((em) => em.find(OutboxEvent, { where: { publishedAt: IsNull() }, order: { seq: 'ASC' }, take: BATCH })).catch((error: unknown) => {
        this.log.warn(`reading the outbox failed, will retry: ${(error as Error).message}`);
        return [];
      });
      if (rows.length === 0 || this.stopped) return;
      // Marked together once the batch is out (or as far as it got): a crash republishes at most one
      // batch, which the stream and the inboxes drop as duplicates.
      const published: number[] = [];
      try {
        for (const row of rows) {
          if (this.stopped) break;
          await this.events.publish(toEnvelope(row), true);
          published.push(row.seq);
        }
      } catch (error) {
        // Left unpublished; the next commit or tick tries again.
        this.log.warn(`publishing failed, will retry: ${(error as Error).message}`);
      }
      if (published.length > 0) {
        await this.db.transaction((em) => em.update(OutboxEvent, { seq: In(published) }, { publishedAt: new Date().toISOString() })).catch((error: unknown) => {
          this.log.warn(`marking published failed (they will be republished): ${(error as Error).message}`);
        });
      }
      if (published.length < rows.length) return;
    }
  }
}

function toEnvelope(row: OutboxEvent): EventEnvelope {
  const context = JSON.parse(row.context) as Pick<EventEnvelope, 'traceparent' | 'requestId'>;
  return {
    id: row.eventId,
    event: row.event,
    time: row.createdAt,
    aggregateId: row.aggregateId,
    payload: JSON.parse(row.payload),
    // Rows written before events stopped carrying principals may still have one: it is not passed on.
    traceparent: context.traceparent,
    requestId: context.requestId,
  };
}
