import { DataSource } from 'typeorm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContextDatabase } from '../src/database/context-database';
import { EVENT_ENTITIES, InboxRecord, OutboxEvent } from '../src/events/event.entities';
import type { EventBus } from '../src/events/event-bus';
import type { EventEnvelope } from '../src/bus/event-envelope';
import { eventsMigration } from '../src/events/events.migration';
import { Outbox } from '../src/events/outbox';
import { OutboxRelay } from '../src/events/outbox-relay';

/** Stands in for the bus: keeps what it was given, and refuses while `down`. */
class RecordingBus {
  readonly published: EventEnvelope[] = [];
  down = false;
  async publish(envelope: EventEnvelope): Promise<void> {
    if (this.down) throw new Error('NATS is down');
    this.published.push(envelope);
  }
  async publishBatch(envelopes: readonly EventEnvelope[], failed: (error: unknown) => void): Promise<number> {
    for (const [i, envelope] of envelopes.entries()) {
      try {
        await this.publish(envelope);
      } catch (error) {
        failed(error);
        return i;
      }
    }
    return envelopes.length;
  }
}

const until = async (check: () => boolean | Promise<boolean>, timeoutMs = 5_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('the outbox relay', () => {
  let dataSource: DataSource;
  let db: ContextDatabase;
  let outbox: Outbox;
  let bus: RecordingBus;
  let relay: OutboxRelay;

  beforeEach(async () => {
    dataSource = new DataSource({
      type: 'better-sqlite3',
      database: ':memory:',
      entities: EVENT_ENTITIES,
      migrations: [eventsMigration(1764100000000)],
    });
    await dataSource.initialize();
    await dataSource.runMigrations();
    db = new ContextDatabase('probe', dataSource);
    outbox = new Outbox(db);
    bus = new RecordingBus();
    relay = new OutboxRelay('probe', db, bus as unknown as EventBus);
  });
  afterEach(async () => {
    await relay.stop();
    await dataSource.destroy();
  });

  const add = (n: number) => db.transaction((em) => outbox.add<any, any>(em, 'probe.happened.v1', { n }, `agg-${n}`));

  it('publishes committed events in order, and nothing from a rolled-back transaction', async () => {
    relay.start();
    await add(1);
    await db
      .transaction(async (em) => {
        await outbox.add<any, any>(em, 'probe.happened.v1', { n: 99 }, 'agg-99');
        throw new Error('roll back');
      })
      .catch(() => undefined);
    await add(2);
    await add(3);
    await until(() => bus.published.length === 3);
    expect(bus.published.map((e) => (e.payload as { n: number }).n)).toEqual([1, 2, 3]);
    await until(() => !relay.busy);
    expect((await relay.lag()).pending).toBe(0);
    expect(bus.published).toHaveLength(3);
  });

  it('on SQLite marks what it published together, a moment later, and never publishes a row twice meanwhile', async () => {
    relay.start();
    for (let n = 1; n <= 20; n++) await add(n);
    await until(() => bus.published.length === 20);
    // Out, not yet marked: the relay is still busy, and more commits don't send them again.
    expect(relay.busy).toBe(true);
    await add(21);
    await until(() => bus.published.length === 21);
    await until(() => !relay.busy);
    expect((await relay.lag()).pending).toBe(0);
    expect(bus.published.map((e) => (e.payload as { n: number }).n)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    const marked = await db.read((em) => em.find(OutboxEvent));
    expect(new Set(marked.map((r) => r.publishedAt)).size).toBeLessThan(21);
  });

  it('marks what it published when stopped, and what a crash left unmarked is published again', async () => {
    relay.start();
    await add(1);
    await until(() => bus.published.length === 1);
    await relay.stop();
    expect((await relay.lag()).pending).toBe(0);

    relay = new OutboxRelay('probe', db, bus as unknown as EventBus);
    relay.start();
    await add(2);
    await until(() => bus.published.length === 2);
    // A crash now: the mark of 2 is lost with the process. The next relay publishes it again (the inboxes
    // and the stream drop the duplicate), and nothing before it.
    const crashed = relay;
    relay = new OutboxRelay('probe', db, bus as unknown as EventBus);
    (crashed as unknown as { unmarked: boolean }).unmarked = false;
    await crashed.stop();
    relay.start();
    await until(() => bus.published.length === 3);
    expect(bus.published.map((e) => (e.payload as { n: number }).n)).toEqual([1, 2, 2]);
  });

  it('republishes everything it kept when asked, marked or not', async () => {
    relay.start();
    await add(1);
    await add(2);
    await until(() => !relay.busy && bus.published.length === 2);
    await add(3);
    await relay.republishRetained();
    await until(() => bus.published.length === 6 && !relay.busy);
    // 3 was on its way (its commit woke the relay first); then all three again, in order.
    expect(bus.published.map((e) => (e.payload as { n: number }).n)).toEqual([1, 2, 3, 1, 2, 3]);
    expect((await relay.lag()).pending).toBe(0);
  });

  it('keeps what it could not publish, and publishes it first once the bus is back', async () => {
    bus.down = true;
    relay.start();
    await add(1);
    await add(2);
    await new Promise((r) => setTimeout(r, 100));
    expect(await relay.lag()).toMatchObject({ pending: 2 });
    bus.down = false;
    await add(3);
    await until(() => bus.published.length === 3);
    expect(bus.published.map((e) => (e.payload as { n: number }).n)).toEqual([1, 2, 3]);
  });

  it('prunes published rows and inbox records past their time, never unpublished ones', async () => {
    bus.down = true;
    await add(1);
    await db.transaction((em) => em.update(OutboxEvent, { seq: 1 }, { publishedAt: '2026-01-01T00:00:00.000Z' }));
    await add(2);
    await db.transaction((em) =>
      em.insert(InboxRecord, [
        { context: 'probe', eventId: 'evt_old', processedAt: '2026-01-01T00:00:00.000Z' },
        { context: 'probe', eventId: 'evt_new', processedAt: new Date().toISOString() },
      ]),
    );
    await relay.prune(Date.parse('2026-03-01T00:00:00.000Z'));
    const left = await db.read((em) => em.find(OutboxEvent, { order: { seq: 'ASC' } }));
    expect(left.map((r) => r.seq)).toEqual([2]);
    expect((await db.read((em) => em.find(InboxRecord))).map((r) => r.eventId)).toEqual(['evt_new']);
  });
});
