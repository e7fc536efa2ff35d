import { Logger } from '@nestjs/common';
import { IsNull, LessThan, Not } from 'typeorm';
import { sql, type Sql } from '../database/sql';
import type { ContextDatabase } from '../database/context-database';
import type { EventBus } from './event-bus';
import { InboxRecord, OutboxEvent } from './event.entities';
import type { EventEnvelope } from '../bus/event-envelope';
import { PeriodicJob } from '../jobs/periodic-job';
import { OUTBOX_SIGNAL } from './outbox';
import { outboxBacklog } from './backlogs';

const BATCH = 100;
/** On SQLite, how long published rows may wait to be marked so: their marks commit together. */
const MARK_AFTER_MS = 200;
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
  private readonly publishing: PeriodicJob;
  private readonly pruning: PeriodicJob;
  /**
   * SQLite: the highest seq published and not yet marked. There a row's seq follows commit order (one
   * writer at a time), so reading after it skips exactly what is out already, and one statement marks
   * everything up to it: a commit (a WAL sync) per {@link MARK_AFTER_MS} instead of one per batch.
   */
  private publishedUpTo = 0;
  private unmarked = false;
  private marking: NodeJS.Timeout | undefined;

  constructor(
    readonly context: string,
    private readonly db: ContextDatabase,
    private readonly events: EventBus,
    timing: { readonly pollMs: number; readonly pruneMs: number } = { pollMs: 500, pruneMs: 60_000 },
  ) {
    this.log = new Logger(`Outbox:${context}`);
    this.publishing = new PeriodicJob('publishing', timing.pollMs, () => this.drain(), this.log);
    this.pruning = new PeriodicJob('pruning', timing.pruneMs, () => this.prune(), this.log);
  }

  start(): void {
    // Woken by commits that wrote events, not by every commit (its own marking included).
    this.db.onSignal(OUTBOX_SIGNAL, () => this.publishing.wake());
    this.publishing.start();
    this.pruning.start();
    this.publishing.wake();
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
    await Promise.all([this.publishing.stop(), this.pruning.stop()]);
    clearTimeout(this.marking);
    await this.markPublishedUpTo();
  }

  /**
   * Publishes again every event the outbox still keeps (a week's worth): the broker lost its stream, and with
   * it events no consumer had read yet. The consumers' inboxes drop those they had handled.
   */
  async republishRetained(): Promise<void> {
    try {
      // Between passes, so that no pass in hand moves the published mark past what is now unpublished again.
      await this.publishing.run(async () => {
        this.publishedUpTo = 0;
        this.unmarked = false;
        await this.db.transaction((em) => em.update(OutboxEvent, { publishedAt: Not(IsNull()) }, { publishedAt: null }));
      });
      this.publishing.wake();
    } catch (error) {
      this.log.error(`could not queue the outbox for republishing: ${(error as Error).message}`);
    }
  }

  /** True while it is publishing (or about to). */
  get busy(): boolean {
    return this.publishing.busy || this.unmarked;
  }

  /** How far behind the relay is: unpublished events, and the age of the oldest. */
  async lag(): Promise<{ pending: number; oldestAgeMs: number }> {
    const backlog = await outboxBacklog(this.db);
    return { pending: backlog.count, oldestAgeMs: backlog.oldestAgeSeconds * 1_000 };
  }

  private markSoon(): void {
    this.marking ??= setTimeout(() => {
      this.marking = undefined;
      void this.publishing.run(() => this.markPublishedUpTo());
    }, MARK_AFTER_MS).unref();
  }

  /** Marks what this relay has published (SQLite); a failure is tried again, and a crash meanwhile republishes. */
  private async markPublishedUpTo(): Promise<void> {
    if (!this.unmarked) return;
    this.unmarked = false;
    await this.db.run(undefined, markPublishedThrough, [new Date().toISOString(), this.publishedUpTo]).catch((error: unknown) => {
      this.unmarked = true;
      this.log.warn(`marking published failed, will retry: ${(error as Error).message}`);
      if (!this.publishing.stopping) this.markSoon();
    });
  }

  private async drain(): Promise<void> {
    for (;;) {
      const read =
        this.db.engine === 'sqlite'
          ? this.db.all<OutboxRow>(undefined, unpublishedAfter, [this.publishedUpTo, BATCH])
          : this.db.all<OutboxRow>(undefined, unpublished, [BATCH]);
      const rows = await read.catch((error: unknown) => {
        this.log.warn(`reading the outbox failed, will retry: ${(error as Error).message}`);
        return [];
      });
      if (rows.length === 0 || this.publishing.stopping) return;
      // Marked once the batch is out (or as far as it got): on PostgreSQL at once, a batch at a time; on
      // SQLite within MARK_AFTER_MS, everything published meanwhile at once. A crash republishes what was
      // not marked yet, which the stream and the inboxes drop as duplicates. What failed is left
      // unpublished; the next commit or tick tries again.
      const count = await this.events.publishBatch(rows.map(toEnvelope), (error) =>
        this.log.warn(`publishing failed, will retry: ${(error as Error).message}`),
      );
      const published = rows.slice(0, count).map((row) => Number(row.seq));
      if (published.length > 0 && this.db.engine === 'sqlite') {
        this.publishedUpTo = published[published.length - 1]!;
        this.unmarked = true;
        this.markSoon();
      } else if (published.length > 0) {
        // One statement, committed on its own: no transaction around it to begin and commit.
        await this.db.run(undefined, markPublished(published.length), [new Date().toISOString(), ...published]).catch((error: unknown) => {
          this.log.warn(`marking published failed (they will be republished): ${(error as Error).message}`);
        });
      }
      // A short batch was all there was; events committed meanwhile woke the relay again.
      if (published.length < BATCH) return;
    }
  }
}

/** An outbox row as the relay reads it. */
interface OutboxRow {
  seq: number | string;
  eventId: string;
  event: string;
  aggregateId: string;
  payload: string;
  context: string;
  createdAt: string;
}

const unpublished = sql(
  'outbox.unpublished',
  'SELECT seq, event_id AS "eventId", event, aggregate_id AS "aggregateId", payload, context, created_at AS "createdAt" FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT ?',
);

const unpublishedAfter = sql(
  'outbox.unpublished-after',
  'SELECT seq, event_id AS "eventId", event, aggregate_id AS "aggregateId", payload, context, created_at AS "createdAt" FROM outbox WHERE published_at IS NULL AND seq > ? ORDER BY seq LIMIT ?',
);
const markPublishedThrough = sql('outbox.published-through', 'UPDATE outbox SET published_at = ? WHERE published_at IS NULL AND seq <= ?');

// One prepared statement per batch size: a batch is usually one row, at most BATCH.
const marks = new Map<number, Sql>();
function markPublished(count: number): Sql {
  let statement = marks.get(count);
  if (statement === undefined) {
    marks.set(
      count,
      (statement = sql(
        `outbox.published.${count}`,
        `UPDATE outbox SET published_at = ? WHERE seq IN (${Array(count).fill('?').join(', ')})`,
      )),
    );
  }
  return statement;
}

function toEnvelope(row: OutboxRow): EventEnvelope {
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
