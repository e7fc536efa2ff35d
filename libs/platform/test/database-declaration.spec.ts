import { describe, expect, it } from 'vitest';
import { DatabaseModule, dataSourceOptions, EVENT_ENTITIES, eventsMigration, IdempotencyRecord, loadCleaveConfig } from '@cleave/platform';

class Thing {}
class CreateThings1700000000000 {
  readonly name = 'CreateThings1700000000000';
  async up(): Promise<void> {}
  async down(): Promise<void> {}
}

describe("a context's database is declared once, and the platform adds its own parts", () => {
  const config = loadCleaveConfig({ CLEAVE_DATA_DIR: ':memory:' });

  it('adds the event and idempotency entities to what the context declares keeping', () => {
    const plain = dataSourceOptions(config, { context: 'things', entities: [Thing], migrations: [CreateThings1700000000000] });
    expect(plain.entities).toEqual([Thing]);
    const both = dataSourceOptions(config, {
      context: 'things',
      events: true,
      idempotency: true,
      entities: [Thing],
      migrations: [CreateThings1700000000000, eventsMigration(1700000000001)],
    });
    expect(both.entities).toEqual([Thing, ...EVENT_ENTITIES, IdempotencyRecord]);
  });

  it('refuses a context keeping events whose history never creates their tables', () => {
    expect(() =>
      DatabaseModule.forContext({ context: 'things', events: true, entities: [Thing], migrations: [CreateThings1700000000000] }),
    ).toThrow('the things database keeps events: list eventsMigration(<timestamp>) among its migrations');
    expect(() =>
      DatabaseModule.forContext({
        context: 'things',
        events: true,
        entities: [Thing],
        migrations: [CreateThings1700000000000, eventsMigration(1700000000001)],
      }),
    ).not.toThrow();
  });
});
