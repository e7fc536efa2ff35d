import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * When a transaction last changed: its `updated` was its settlement or creation time, so a webhook receiver
 * hearing two changes of one pending payment (partial reversals, notes) couldn't tell which was newer.
 */
export class TransactionUpdatedAt1767200000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'ledger_transactions',
      new TableColumn({ name: 'updated_at', type: 'varchar', length: '30', isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('ledger_transactions', 'updated_at');
  }
}
