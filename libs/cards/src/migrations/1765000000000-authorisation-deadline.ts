import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Each authorisation keeps the time it had to be decided by, so one left pending past it can be swept, and
 * the digest of the request, so a retry with the same network id but other details is refused.
 */
export class AuthorisationDeadline1765000000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'card_authorisations',
      new TableColumn({ name: 'decide_by', type: 'varchar', length: '30', isNullable: true }),
    );
    await queryRunner.addColumn(
      'card_authorisations',
      new TableColumn({ name: 'request_hash', type: 'varchar', length: '64', isNullable: true }),
    );
    // Anything still pending from before this column existed is long past its decision.
    await queryRunner.query(`UPDATE card_authorisations SET decide_by = created_at WHERE status = 'pending'`);
    await queryRunner.createIndex(
      'card_authorisations',
      new TableIndex({ name: 'card_authorisations_pending', columnNames: ['status', 'decide_by'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('card_authorisations', 'card_authorisations_pending');
    await queryRunner.dropColumn('card_authorisations', 'request_hash');
    await queryRunner.dropColumn('card_authorisations', 'decide_by');
  }
}
