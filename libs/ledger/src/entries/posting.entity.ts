import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from '@cleave/platform';

/** One side of an entry on one book; an entry's postings sum to zero. */
@Entity({ name: 'ledger_postings' })
@Index(['accountId'])
export class Posting {
  @PrimaryColumn({ name: 'entry_id', type: 'varchar', length: 40 })
  entryId!: string;

  @PrimaryColumn({ name: 'account_id', type: 'varchar', length: 64 })
  accountId!: string;

  /** Signed: negative leaves the book. */
  @Column({ type: 'bigint', transformer: bigintAsNumber })
  amount!: number;

  @Column({ type: 'varchar', length: 3 })
  currency!: string;
}
