import { TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * A feed lists newest first by when each item happened (a transaction's time, a post's), not by when it
 * reached the feed: a transaction's item arrives by event, and may land after an item posted later.
 */
export class FeedInTimeOrder1766200000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex(
      'feed_items',
      new TableIndex({ name: 'feed_items_account_created', columnNames: ['account_id', 'created_at', 'seq'] }),
    );
    await queryRunner.dropIndex('feed_items', 'feed_items_account');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex('feed_items', new TableIndex({ name: 'feed_items_account', columnNames: ['account_id', 'seq'] }));
    await queryRunner.dropIndex('feed_items', 'feed_items_account_created');
  }
}
