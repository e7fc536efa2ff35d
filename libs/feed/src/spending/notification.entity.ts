import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A notification sent to the account holder, newest last. */
@Entity({ name: 'notifications' })
@Index(['accountId', 'createdAt'])
export class Notification {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id!: string;

  @Column({ name: 'account_id', type: 'varchar', length: 64 })
  accountId!: string;

  @Column({ type: 'varchar', length: 10 })
  kind!: 'spend' | 'decline';

  @Column({ type: 'varchar', length: 500 })
  text!: string;

  @Column({ name: 'transaction_id', type: 'varchar', length: 40, unique: true })
  transactionId!: string;

  @Column({ name: 'created_at', type: 'varchar', length: 30 })
  createdAt!: string;
}
