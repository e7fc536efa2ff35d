import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { HoldStatus } from '@cleave/contracts';
import { bigintAsNumber } from '@cleave/platform';

/** Money reserved on a customer's book until it is posted, voided or expires. */
@Entity({ name: 'ledger_holds' })
@Index(['status', 'expiresAt'])
export class Hold {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id!: string;

  @Column({ name: 'account_id', type: 'varchar', length: 64 })
  accountId!: string;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  amount!: number;

  @Column({ type: 'varchar', length: 3 })
  currency!: string;

  @Column({ type: 'varchar', length: 10 })
  status!: HoldStatus;

  @Column({ name: 'posted_amount', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  postedAmount!: number | null;

  /** ISO 8601, UTC. */
  @Column({ name: 'expires_at', type: 'varchar', length: 30 })
  expiresAt!: string;

  @Column({ name: 'transaction_id', type: 'varchar', length: 40 })
  transactionId!: string;

  @Column({ name: 'created_at', type: 'varchar', length: 30 })
  createdAt!: string;
}
