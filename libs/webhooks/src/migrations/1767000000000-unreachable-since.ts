import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * When a webhook's current run of failed tries began: it is disabled for a receiver down that long, not
 * for a count of tries a busy account runs up in seconds.
 */
export class UnreachableSince1767000000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('webhooks', new TableColumn({ name: 'failing_since', type: 'varchar', length: '30', isNullable: true }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('webhooks', 'failing_since');
  }
}
