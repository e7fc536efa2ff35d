import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { idempotencyRecordsTable } from '@cleave/platform';

export class DoubleEntry1763900000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'ledger_entries',
        columns: [
          { name: 'id', type: 'varchar', length: '40', isPrimary: true },
          { name: 'kind', type: 'varchar', length: '20' },
          { name: 'description', type: 'varchar', length: '140' },
          { name: 'created_at', type: 'varchar', length: '30' },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'ledger_postings',
        columns: [
          { name: 'entry_id', type: 'varchar', length: '40', isPrimary: true },
          { name: 'account_id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'amount', type: 'bigint' },
          { name: 'currency', type: 'varchar', length: '3' },
        ],
      }),
    );
    await queryRunner.createIndex('ledger_postings', new TableIndex({ name: 'ledger_postings_account', columnNames: ['account_id'] }));
    await queryRunner.createTable(
      new Table({
        name: 'ledger_holds',
        columns: [
          { name: 'id', type: 'varchar', length: '40', isPrimary: true },
          { name: 'account_id', type: 'varchar', length: '64' },
          { name: 'amount', type: 'bigint' },
          { name: 'currency', type: 'varchar', length: '3' },
          { name: 'status', type: 'varchar', length: '10' },
          { name: 'posted_amount', type: 'bigint', isNullable: true },
          { name: 'expires_at', type: 'varchar', length: '30' },
          { name: 'transaction_id', type: 'varchar', length: '40' },
          { name: 'created_at', type: 'varchar', length: '30' },
        ],
      }),
    );
    await queryRunner.createIndex('ledger_holds', new TableIndex({ name: 'ledger_holds_due', columnNames: ['status', 'expires_at'] }));
    await queryRunner.createTable(
      new Table({
        name: 'ledger_transactions',
        columns: [
          { name: 'id', type: 'varchar', length: '40', isPrimary: true },
          { name: 'account_id', type: 'varchar', length: '64' },
          { name: 'amount', type: 'bigint' },
          { name: 'currency', type: 'varchar', length: '3' },
          { name: 'description', type: 'varchar', length: '140' },
          { name: 'category', type: 'varchar', length: '40' },
          { name: 'is_load', type: 'boolean' },
          { name: 'status', type: 'varchar', length: '10' },
          { name: 'settled_at', type: 'varchar', length: '30', isNullable: true },
          { name: 'counterparty_account_id', type: 'varchar', length: '64', isNullable: true },
          { name: 'counterparty_name', type: 'varchar', length: '140', isNullable: true },
          { name: 'metadata', type: 'text' },
          { name: 'notes', type: 'text' },
          { name: 'entry_id', type: 'varchar', length: '40', isNullable: true },
          { name: 'hold_id', type: 'varchar', length: '40', isNullable: true },
          { name: 'created_at', type: 'varchar', length: '30' },
        ],
      }),
    );
    await queryRunner.createIndex(
      'ledger_transactions',
      new TableIndex({ name: 'ledger_transactions_account_created', columnNames: ['account_id', 'created_at'] }),
    );
    await queryRunner.createTable(idempotencyRecordsTable());
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['idempotency_records', 'ledger_transactions', 'ledger_holds', 'ledger_postings', 'ledger_entries']) {
      await queryRunner.dropTable(table);
    }
  }
}
