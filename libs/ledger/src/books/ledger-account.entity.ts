import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from '@cleave/platform';

/**
 * What a book is: a customer's current account, one of its pots, or the bank's own side of money coming
 * in (funding) or going out to card networks (settlement). Only the bank's books may go below zero.
 */
export type LedgerAccountKind = 'customer' | 'pot' | 'funding' | 'settlement';

/** A book in the double-entry ledger, with its running balances in minor units. */
@Entity({ name: 'ledger_accounts' })
export class LedgerAccount {
  /** The account or pot id (`acc_…`, `pot_…`); for the bank's books, e.g. `funding_GBP`. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: LedgerAccountKind;

  @Column({ type: 'varchar', length: 3 })
  currency!: string;

  /** Sum of posted entries. */
  @Column({ type: 'bigint', transformer: bigintAsNumber })
  posted!: number;

  /** Sum of open holds. */
  @Column({ type: 'bigint', transformer: bigintAsNumber })
  held!: number;

  /** ISO 8601, UTC. */
  @Column({ name: 'created_at', type: 'varchar', length: 30 })
  createdAt!: string;
}
