import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

export class CreateFeed1764100000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'feed_items',
        columns: [
          { name: 'seq', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'id', type: 'varchar', length: '40', isUnique: true },
          { name: 'account_id', type: 'varchar', length: '64' },
          { name: 'type', type: 'varchar', length: '20' },
          { name: 'title', type: 'varchar', length: '200' },
          { name: 'body', type: 'text' },
          { name: 'image_url', type: 'varchar', length: '2048', isNullable: true },
          { name: 'url', type: 'varchar', length: '2048', isNullable: true },
          { name: 'transaction_id', type: 'varchar', length: '40', isNullable: true, isUnique: true },
          { name: 'created_at', type: 'varchar', length: '30' },
        ],
      }),
    );
    await queryRunner.createIndex('feed_items', new TableIndex({ name: 'feed_items_account', columnNames: ['account_id', 'seq'] }));
    await queryRunner.createTable(
      new Table({
        name: 'card_spend',
        columns: [
          { name: 'transaction_id', type: 'varchar', length: '40', isPrimary: true },
          { name: 'account_id', type: 'varchar', length: '64' },
          { name: 'amount', type: 'bigint' },
          { name: 'currency', type: 'varchar', length: '3' },
          { name: 'status', type: 'varchar', length: '10' },
          { name: 'local_day', type: 'varchar', length: '10' },
        ],
      }),
    );
    await queryRunner.createIndex('card_spend', new TableIndex({ name: 'card_spend_day', columnNames: ['account_id', 'local_day'] }));
    await queryRunner.createTable(
      new Table({
        name: 'notifications',
        columns: [
          { name: 'id', type: 'varchar', length: '40', isPrimary: true },
          { name: 'account_id', type: 'varchar', length: '64' },
          { name: 'kind', type: 'varchar', length: '10' },
          { name: 'text', type: 'varchar', length: '500' },
          { name: 'transaction_id', type: 'varchar', length: '40', isUnique: true },
          { name: 'created_at', type: 'varchar', length: '30' },
        ],
      }),
    );
    await queryRunner.createIndex(
      'notifications',
      new TableIndex({ name: 'notifications_account', columnNames: ['account_id', 'created_at'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('notifications');
    await queryRunner.dropTable('card_spend');
    await queryRunner.dropTable('feed_items');
  }
}
