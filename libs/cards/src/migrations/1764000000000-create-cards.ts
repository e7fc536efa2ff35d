import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { idempotencyRecordsTable } from '@cleave/platform';

export class CreateCards1764000000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'cards',
        columns: [
          { name: 'id', type: 'varchar', length: '40', isPrimary: true },
          { name: 'account_id', type: 'varchar', length: '64' },
          { name: 'owner_id', type: 'varchar', length: '64' },
          { name: 'currency', type: 'varchar', length: '3' },
          { name: 'token', type: 'varchar', length: '40', isUnique: true },
          { name: 'pan_hash', type: 'varchar', length: '64', isUnique: true },
          { name: 'last4', type: 'varchar', length: '4' },
          { name: 'expiry_month', type: 'int' },
          { name: 'expiry_year', type: 'int' },
          { name: 'status', type: 'varchar', length: '10' },
          { name: 'limit_per_transaction', type: 'bigint', isNullable: true },
          { name: 'limit_per_day', type: 'bigint', isNullable: true },
          { name: 'created_at', type: 'varchar', length: '30' },
        ],
      }),
    );
    await queryRunner.createIndex('cards', new TableIndex({ name: 'cards_account', columnNames: ['account_id'] }));
    await queryRunner.createTable(
      new Table({
        name: 'card_authorisations',
        columns: [
          { name: 'id', type: 'varchar', length: '40', isPrimary: true },
          { name: 'network_transaction_id', type: 'varchar', length: '100', isUnique: true },
          { name: 'card_id', type: 'varchar', length: '40', isNullable: true },
          { name: 'account_id', type: 'varchar', length: '64', isNullable: true },
          { name: 'amount', type: 'bigint' },
          { name: 'currency', type: 'varchar', length: '3' },
          { name: 'merchant', type: 'text' },
          { name: 'status', type: 'varchar', length: '20' },
          { name: 'decline_reason', type: 'varchar', length: '40', isNullable: true },
          { name: 'hold_id', type: 'varchar', length: '40' },
          { name: 'held_amount', type: 'bigint' },
          { name: 'transaction_id', type: 'varchar', length: '40', isNullable: true },
          { name: 'spend_day', type: 'varchar', length: '30', isNullable: true },
          { name: 'followup', type: 'varchar', length: '20', isNullable: true },
          { name: 'created_at', type: 'varchar', length: '30' },
        ],
      }),
    );
    await queryRunner.createIndex(
      'card_authorisations',
      new TableIndex({ name: 'card_authorisations_followup', columnNames: ['followup'] }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'card_daily_spend',
        columns: [
          { name: 'card_id', type: 'varchar', length: '40', isPrimary: true },
          { name: 'day', type: 'varchar', length: '30', isPrimary: true },
          { name: 'amount', type: 'bigint' },
        ],
      }),
    );
    await queryRunner.createTable(idempotencyRecordsTable());
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['idempotency_records', 'card_daily_spend', 'card_authorisations', 'cards']) await queryRunner.dropTable(table);
  }
}
