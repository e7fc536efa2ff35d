import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

export class CreatePots1763900000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'pots',
        columns: [
          { name: 'id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'account_id', type: 'varchar', length: '64' },
          { name: 'name', type: 'varchar', length: '40' },
          { name: 'currency', type: 'varchar', length: '3' },
          { name: 'deleted', type: 'boolean', default: false },
          { name: 'created_at', type: 'varchar', length: '30' },
          { name: 'updated_at', type: 'varchar', length: '30' },
        ],
      }),
    );
    await queryRunner.createIndex('pots', new TableIndex({ name: 'pots_account_id', columnNames: ['account_id'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('pots');
  }
}
