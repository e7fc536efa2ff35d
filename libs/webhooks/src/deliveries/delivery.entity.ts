import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { DeliveryAttemptView } from '@cleave/contracts';

/** One event on its way to one webhook: a row from the moment the event is taken in until delivered or failed. */
@Entity({ name: 'webhook_deliveries' })
@Index(['status', 'nextAttemptAt'])
@Index(['webhookId', 'createdAt'])
@Index(['webhookId', 'eventId'], { unique: true })
export class Delivery {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id!: string;

  @Column({ name: 'webhook_id', type: 'varchar', length: 40 })
  webhookId!: string;

  @Column({ name: 'event_id', type: 'varchar', length: 40 })
  eventId!: string;

  /** `transaction.created` or `transaction.updated`. */
  @Column({ type: 'varchar', length: 40 })
  type!: string;

  /** The exact body sent on every try (JSON). */
  @Column({ type: 'text' })
  body!: string;

  @Column({ type: 'varchar', length: 10 })
  status!: 'pending' | 'delivered' | 'failed';

  /** JSON array of {@link DeliveryAttemptView}. */
  @Column({ type: 'text' })
  attempts!: string;

  @Column({ name: 'next_attempt_at', type: 'varchar', length: 30, nullable: true })
  nextAttemptAt!: string | null;

  /** A replica that took the delivery owns it until then; after a crash another takes it over. */
  @Column({ name: 'leased_until', type: 'varchar', length: 30, nullable: true })
  leasedUntil!: string | null;

  @Column({ name: 'created_at', type: 'varchar', length: 30 })
  createdAt!: string;
}

export type DeliveryAttempt = DeliveryAttemptView;
