import { TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Login attempts by age alone, so housekeeping finds those past the rate-limit window without a scan. */
export class LoginAttemptsByAge1766000000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex('login_attempts', new TableIndex({ name: 'login_attempts_at', columnNames: ['at'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('login_attempts', 'login_attempts_at');
  }
}
