import type { MigrationInterface, QueryRunner } from 'typeorm';
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
