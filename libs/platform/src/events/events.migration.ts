import { TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { eventTables } from './event.entities';

/**
 * The migration that adds the outbox, inbox and dead-letter tables to a context's database, named
 * `Events<timestamp>` so it sorts among the context's own migrations.
 */
export function eventsMigration(timestamp: number): new () => MigrationInterface {
  return class implements MigrationInterface {
    readonly name = `Events${timestamp}`;

    async up(queryRunner: QueryRunner): Promise<void> {
      const { tables, indices } = eventTables();
      for (const table of tables) await queryRunner.createTable(table);
      for (const [table, index] of indices) await queryRunner.createIndex(table, index);
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      for (const table of eventTables().tables.reverse()) await queryRunner.dropTable(table.name);
    }
  };
}

/**
 * Dead letters by context and event id: parking a message asks whether its event is parked already, and a
 * redelivered run which of its events are; without the index each asked the whole table, so a flood of poison
 * slowed every park by the letters before it.
 */
export function deadLettersByEventMigration(timestamp: number): new () => MigrationInterface {
  return class implements MigrationInterface {
    readonly name = `DeadLettersByEvent${timestamp}`;

    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.createIndex(
        'dead_letters',
        new TableIndex({ name: 'dead_letters_by_event', columnNames: ['context', 'event_id'] }),
      );
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.dropIndex('dead_letters', 'dead_letters_by_event');
    }
  };
}
