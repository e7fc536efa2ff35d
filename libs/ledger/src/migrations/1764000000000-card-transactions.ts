import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

export class CardTransactions1764000000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('ledger_transactions', [
      new TableColumn({ name: 'merchant', type: 'text', isNullable: true }),
      new TableColumn({ name: 'decline_reason', type: 'varchar', length: '40', isNullable: true }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('ledger_transactions', 'decline_reason');
    await queryRunner.dropColumn('ledger_transactions', 'merchant');
  }
}
