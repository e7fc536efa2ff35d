import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { FeedItemType } from '@cleave/contracts';

/** One entry of an account's feed: a transaction, or a custom item posted through the API. */
@Entity({ name: 'feed_items' })
@Index(['accountId', 'createdAt', 'seq'])
export class FeedItem {
  /** Arrival order: breaks ties between items of the same time. */
  @PrimaryGeneratedColumn('increment')
  seq!: number;

  @Column({ type: 'varchar', length: 40, unique: true })
  id!: string;

  @Column({ name: 'account_id', type: 'varchar', length: 64 })
  accountId!: string;

  @Column({ type: 'varchar', length: 20 })
  type!: FeedItemType;

  @Column({ type: 'varchar', length: 200 })
  title!: string;

  @Column({ type: 'text' })
  body!: string;

  @Column({ name: 'image_url', type: 'varchar', length: 2048, nullable: true })
  imageUrl!: string | null;

  @Column({ type: 'varchar', length: 2048, nullable: true })
  url!: string | null;

  @Column({ name: 'transaction_id', type: 'varchar', length: 40, nullable: true, unique: true })
  transactionId!: string | null;

  @Column({ name: 'created_at', type: 'varchar', length: 30 })
  createdAt!: string;
}
