import { DataSource } from 'typeorm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContextDatabase } from '../src/database/context-database';
import { ContextDatabases } from '../src/database/context-databases';
import { DeadLetters, MAX_LISTED } from '../src/events/dead-letters';
import { DeadLetter, EVENT_ENTITIES } from '../src/events/event.entities';
import type { EventBus } from '../src/events/event-bus';
import { deadLettersByEventMigration, eventsMigration } from '../src/events/events.migration';

/**
 * A flood of poison (any role that may ask JetStream's API can aim its answers at an event subject) parks
 * a letter per message in each consuming context. Listing them read every row with its envelope, up to
 * 64 KiB each: past ~3,000 the answer was too large to send, and the operator lost the tool to clear them.
 */
describe('dead letters, many of them', () => {
  let dataSource: DataSource;
  let letters: DeadLetters;

  beforeEach(async () => {
    dataSource = new DataSource({
      type: 'better-sqlite3',
      database: ':memory:',
      entities: EVENT_ENTITIES,
      migrations: [eventsMigration(1764100000000), deadLettersByEventMigration(1767300000000)],
    });
    await dataSource.initialize();
    await dataSource.runMigrations();
    const dbs = new ContextDatabases();
    dbs.register('probe', new ContextDatabase('probe', dataSource), true);
    letters = new DeadLetters(dbs, {} as EventBus);
  });
  afterEach(async () => {
    await dataSource.destroy();
  });

  const park = (count: number, replayedAt: string | null = null, from = 0) =>
    dataSource.getRepository(DeadLetter).insert(
      Array.from({ length: count }, (_, i) => ({
        id: `dlq_${String(from + i).padStart(6, '0')}`,
        context: 'probe',
        eventId: `stream_${from + i}`,
        event: 'probe.happened.v1',
        envelope: JSON.stringify({ poison: true, data: 'x'.repeat(60_000) }),
        error: `poison: ${'y'.repeat(1_990)}`,
        attempts: 1,
        createdAt: new Date(Date.UTC(2026, 11, 4, 0, 0, 0, from + i)).toISOString(),
        replayedAt,
      })),
    );

  it('lists the oldest ones not yet replayed, without their envelopes and with their errors cut short', async () => {
    await park(5, '2026-12-04T01:00:00.000Z');
    for (let batch = 0; batch < 3; batch++) await park(100, null, 5 + batch * 100);
    const listed = await letters.list('probe');
    expect(listed).toHaveLength(MAX_LISTED);
    expect(listed[0]!.eventId).toBe('stream_5');
    expect(listed.every((l) => l.replayed === null && l.error.length === 500)).toBe(true);
    expect(JSON.stringify(listed).length).toBeLessThan(200_000);
    expect((await letters.list('probe', true))[0]!.eventId).toBe('stream_0');
  });

  it('lists the rest a page at a time after a letter, each once, in order, letters parked in the same millisecond too', async () => {
    await park(250);
    // Parked in the same millisecond as dlq_000199 and after it in id order.
    await dataSource
      .getRepository(DeadLetter)
      .update({ id: 'dlq_000200' }, { createdAt: new Date(Date.UTC(2026, 11, 4, 0, 0, 0, 199)).toISOString() });
    const first = await letters.list('probe');
    const second = await letters.list('probe', false, first[first.length - 1]!.id);
    const ids = [...first, ...second].map((l) => l.id);
    expect(ids).toEqual(Array.from({ length: 250 }, (_, i) => `dlq_${String(i).padStart(6, '0')}`));
    expect(await letters.list('probe', false, 'dlq_000249')).toEqual([]);
    await expect(letters.list('probe', false, 'dlq_999999')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('finds a letter by its event without reading the whole table', async () => {
    const plan = (await dataSource.query(
      `EXPLAIN QUERY PLAN SELECT 1 FROM dead_letters WHERE context = 'probe' AND event_id = 'stream_1' AND replayed_at IS NULL`,
    )) as Array<{ detail: string }>;
    expect(plan.map((step) => step.detail).join('\n')).toMatch(/USING INDEX dead_letters_by_event/);
  });
});
