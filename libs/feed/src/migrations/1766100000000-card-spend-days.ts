import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Each day's card spend kept as a running total (it was summed over the day's payments for every
 * notification, a cost that grew with each payment), filled in from the payments already counted.
 */
export class CardSpendDays1766100000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'card_spend_days',
        columns: [
          { name: 'account_id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'currency', type: 'varchar', length: '3', isPrimary: true },
          { name: 'local_day', type: 'varchar', length: '10', isPrimary: true },
          { name: 'total', type: 'bigint' },
        ],
      }),
    );
    await queryRunner.query(
      `INSERT INTO card_spend_days (account_id, currency, local_day, total)
       SELECT account_id, currency, local_day, SUM(amount) FROM card_spend
       WHERE status IN ('pending', 'settled') GROUP BY account_id, currency, local_day`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('card_spend_days');
  }
}
