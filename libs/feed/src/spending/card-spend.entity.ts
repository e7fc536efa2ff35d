import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from '@cleave/platform';

/**
 * The feed's own copy of each card payment, kept from the ledger's events: what "you've spent … today"
 * adds up, without asking the ledger.
 */
@Entity({ name: 'card_spend' })
@Index(['accountId', 'localDay'])
export class CardSpend {
  @PrimaryColumn({ name: 'transaction_id', type: 'varchar', length: 40 })
  transactionId!: string;

  @Column({ name: 'account_id', type: 'varchar', length: 64 })
  accountId!: string;

  /** Minor units spent: positive. */
  @Column({ type: 'bigint', transformer: bigintAsNumber })
  amount!: number;

  @Column({ type: 'varchar', length: 3 })
  currency!: string;

  /** Counts towards the day's spend only while pending or settled. */
  @Column({ type: 'varchar', length: 10 })
  status!: string;

  /** The calendar day (YYYY-MM-DD) in the account holder's time zone. */
  @Column({ name: 'local_day', type: 'varchar', length: 10 })
  localDay!: string;
}
