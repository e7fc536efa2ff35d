import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from '@cleave/platform';

/** A movement as one book's owner sees it: the row behind Monzo's transaction shape. */
@Entity({ name: 'ledger_transactions' })
@Index(['accountId', 'createdAt'])
export class Transaction {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id!: string;

  @Column({ name: 'account_id', type: 'varchar', length: 64 })
  accountId!: string;

  /** Signed: negative for money out. */
  @Column({ type: 'bigint', transformer: bigintAsNumber })
  amount!: number;

  @Column({ type: 'varchar', length: 3 })
  currency!: string;

  @Column({ type: 'varchar', length: 140 })
  description!: string;

  @Column({ type: 'varchar', length: 40 })
  category!: string;

  @Column({ name: 'is_load', type: 'boolean' })
  isLoad!: boolean;

  @Column({ type: 'varchar', length: 10 })
  status!: 'pending' | 'settled' | 'reversed' | 'declined';

  @Column({ name: 'settled_at', type: 'varchar', length: 30, nullable: true })
  settledAt!: string | null;

  /** When it last changed; null until it does. */
  @Column({ name: 'updated_at', type: 'varchar', length: 30, nullable: true })
  updatedAt!: string | null;

  @Column({ name: 'counterparty_account_id', type: 'varchar', length: 64, nullable: true })
  counterpartyAccountId!: string | null;

  @Column({ name: 'counterparty_name', type: 'varchar', length: 140, nullable: true })
  counterpartyName!: string | null;

  /** JSON object of string values. */
  @Column({ type: 'text' })
  metadata!: string;

  @Column({ type: 'text' })
  notes!: string;

  @Column({ name: 'entry_id', type: 'varchar', length: 40, nullable: true })
  entryId!: string | null;

  @Column({ name: 'hold_id', type: 'varchar', length: 40, nullable: true })
  holdId!: string | null;

  /** JSON of the merchant, for card payments. */
  @Column({ type: 'text', nullable: true })
  merchant!: string | null;

  @Column({ name: 'decline_reason', type: 'varchar', length: 40, nullable: true })
  declineReason!: string | null;

  @Column({ name: 'created_at', type: 'varchar', length: 30 })
  createdAt!: string;
}
