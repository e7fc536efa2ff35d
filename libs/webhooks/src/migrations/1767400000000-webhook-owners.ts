import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Who registered a webhook, so that one customer's deliveries share one customer's slots however many
 * accounts they open. Webhooks registered before have none, and count as their account's own.
 */
export class WebhookOwners1767400000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('webhooks', new TableColumn({ name: 'owner_id', type: 'varchar', length: '64', isNullable: true }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('webhooks', 'owner_id');
  }
}
