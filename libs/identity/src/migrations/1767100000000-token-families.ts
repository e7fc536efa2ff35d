import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Each token's family: every pair a login leads to through refreshes. A used refresh token presented again
 * ends its family. Tokens issued before are each a family of their own pair.
 */
export class TokenFamilies1767100000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('tokens', new TableColumn({ name: 'family_id', type: 'varchar', length: '40', default: "''" }));
    await queryRunner.query('UPDATE tokens SET family_id = pair_id');
    await queryRunner.createIndex('tokens', new TableIndex({ name: 'tokens_family', columnNames: ['family_id'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('tokens', 'tokens_family');
    await queryRunner.dropColumn('tokens', 'family_id');
  }
}
