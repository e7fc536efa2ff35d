import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A URL that receives one account's transaction events. */
@Entity({ name: 'webhooks' })
@Index(['accountId'])
export class Webhook {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id!: string;

  @Column({ name: 'account_id', type: 'varchar', length: 64 })
  accountId!: string;

  /** Who registered it: a customer's webhooks share their slots however many accounts they hold. */
  @Column({ name: 'owner_id', type: 'varchar', length: 64, nullable: true })
  ownerId!: string | null;

  @Column({ type: 'varchar', length: 2048 })
  url!: string;

  /** Signs each delivery; shown to the customer once, at registration. */
  @Column({ type: 'varchar', length: 80 })
  secret!: string;

  @Column({ type: 'varchar', length: 10 })
  status!: 'active' | 'disabled' | 'deleted';

  /** Failed tries in a row; a success resets it. */
  @Column({ name: 'consecutive_failures', type: 'int' })
  consecutiveFailures!: number;

  /** When the current run of failed tries began; null while the webhook's last try succeeded. */
  @Column({ name: 'failing_since', type: 'varchar', length: 30, nullable: true })
  failingSince!: string | null;

  @Column({ name: 'disabled_reason', type: 'varchar', length: 300, nullable: true })
  disabledReason!: string | null;

  @Column({ name: 'created_at', type: 'varchar', length: 30 })
  createdAt!: string;
}
