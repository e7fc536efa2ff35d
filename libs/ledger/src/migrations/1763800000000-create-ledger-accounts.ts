import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

export class CreateLedgerAccounts1763800000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'ledger_accounts',
        columns: [
          { name: 'id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'kind', type: 'varchar', length: '16' },
          { name: 'currency', type: 'varchar', length: '3' },
          { name: 'posted', type: 'bigint', default: 0 },
          { name: 'held', type: 'bigint', default: 0 },
          { name: 'created_at', type: 'varchar', length: '30' },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('ledger_accounts');
  }
}
