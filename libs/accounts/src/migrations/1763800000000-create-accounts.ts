import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

export class CreateAccounts1763800000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'accounts',
        columns: [
          { name: 'id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'owner_id', type: 'varchar', length: '64' },
          { name: 'currency', type: 'varchar', length: '3' },
          { name: 'description', type: 'varchar', length: '140' },
          { name: 'created_at', type: 'varchar', length: '30' },
        ],
      }),
    );
    await queryRunner.createIndex('accounts', new TableIndex({ name: 'accounts_owner_id', columnNames: ['owner_id'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('accounts');
  }
}
