import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { CardStatus } from '@cleave/contracts';
import { bigintAsNumber } from '@cleave/platform';

/** A payment card. Its number is kept only as an HMAC (for look-up) and its last four digits. */
@Entity({ name: 'cards' })
@Index(['accountId'])
export class Card {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id!: string;

  @Column({ name: 'account_id', type: 'varchar', length: 64 })
  accountId!: string;

  @Column({ name: 'owner_id', type: 'varchar', length: 64 })
  ownerId!: string;

  @Column({ type: 'varchar', length: 3 })
  currency!: string;

  /** What the card network knows the card by. */
  @Column({ type: 'varchar', length: 40, unique: true })
  token!: string;

  @Column({ name: 'pan_hash', type: 'varchar', length: 64, unique: true })
  panHash!: string;

  @Column({ type: 'varchar', length: 4 })
  last4!: string;

  @Column({ name: 'expiry_month', type: 'int' })
  expiryMonth!: number;

  @Column({ name: 'expiry_year', type: 'int' })
  expiryYear!: number;

  @Column({ type: 'varchar', length: 10 })
  status!: CardStatus;

  @Column({ name: 'limit_per_transaction', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  limitPerTransaction!: number | null;

  @Column({ name: 'limit_per_day', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  limitPerDay!: number | null;

  @Column({ name: 'created_at', type: 'varchar', length: 30 })
  createdAt!: string;
}
