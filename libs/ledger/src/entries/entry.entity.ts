import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Why money moved (entries written before force posts and refunds had kinds of their own say `hold_post`). */
export type EntryKind = 'top_up' | 'transfer' | 'pot_deposit' | 'pot_withdrawal' | 'hold_post' | 'force_post' | 'card_refund';

/** One movement of money: a balanced set of postings. */
@Entity({ name: 'ledger_entries' })
export class Entry {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id!: string;

  @Column({ type: 'varchar', length: 20 })
  kind!: EntryKind;

  @Column({ type: 'varchar', length: 140 })
  description!: string;

  @Column({ name: 'created_at', type: 'varchar', length: 30 })
  createdAt!: string;
}
