import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A savings pot under a current account. Its money lives in the ledger, under the pot's id. */
@Entity({ name: 'pots' })
@Index(['accountId'])
export class Pot {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ name: 'account_id', type: 'varchar', length: 64 })
  accountId!: string;

  @Column({ type: 'varchar', length: 40 })
  name!: string;

  @Column({ type: 'varchar', length: 3 })
  currency!: string;

  @Column({ type: 'boolean' })
  deleted!: boolean;

  @Column({ name: 'created_at', type: 'varchar', length: 30 })
  createdAt!: string;

  @Column({ name: 'updated_at', type: 'varchar', length: 30 })
  updatedAt!: string;
}
