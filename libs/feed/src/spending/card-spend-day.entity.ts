import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from '@cleave/platform';

/**
 * What an account has spent by card on one day in one currency: the pending and settled payments of
 * `card_spend` added up as they come, so "you've spent … today" is one row, not a sum over the day.
 */
@Entity({ name: 'card_spend_days' })
export class CardSpendDay {
  @PrimaryColumn({ name: 'account_id', type: 'varchar', length: 64 })
  accountId!: string;

  @PrimaryColumn({ type: 'varchar', length: 3 })
  currency!: string;

  /** The calendar day (YYYY-MM-DD) in the account holder's time zone. */
  @PrimaryColumn({ name: 'local_day', type: 'varchar', length: 10 })
  localDay!: string;

  /** Minor units: positive. */
  @Column({ type: 'bigint', transformer: bigintAsNumber })
  total!: number;
}
