import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from '@cleave/platform';

/** Where an authorisation stands. */
export type AuthorisationStatus = 'pending' | 'approved' | 'declined' | 'presented' | 'reversed' | 'partially_reversed';

/** What is left to do after a decision, retried until done. */
export type Followup = 'void_hold' | 'record_decline';

/** One authorisation request from the card network, and what became of it. */
@Entity({ name: 'card_authorisations' })
@Index(['followup'])
export class Authorisation {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id!: string;

  /** The network's id: its retries carry the same one. */
  @Column({ name: 'network_transaction_id', type: 'varchar', length: 100, unique: true })
  networkTransactionId!: string;

  @Column({ name: 'card_id', type: 'varchar', length: 40, nullable: true })
  cardId!: string | null;

  @Column({ name: 'account_id', type: 'varchar', length: 64, nullable: true })
  accountId!: string | null;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  amount!: number;

  @Column({ type: 'varchar', length: 3 })
  currency!: string;

  /** JSON of the enriched merchant. */
  @Column({ type: 'text' })
  merchant!: string;

  @Column({ type: 'varchar', length: 20 })
  status!: AuthorisationStatus;

  @Column({ name: 'decline_reason', type: 'varchar', length: 40, nullable: true })
  declineReason!: string | null;

  /** Chosen before the ledger is asked, so a hold can be voided even when its placement's answer was lost. */
  @Column({ name: 'hold_id', type: 'varchar', length: 40 })
  holdId!: string;

  /** What the hold still holds. */
  @Column({ name: 'held_amount', type: 'bigint', transformer: bigintAsNumber })
  heldAmount!: number;

  @Column({ name: 'transaction_id', type: 'varchar', length: 40, nullable: true })
  transactionId!: string | null;

  /** The spending day its amount counts against, once counted. */
  @Column({ name: 'spend_day', type: 'varchar', length: 30, nullable: true })
  spendDay!: string | null;

  @Column({ type: 'varchar', length: 20, nullable: true })
  followup!: Followup | null;

  @Column({ name: 'created_at', type: 'varchar', length: 30 })
  createdAt!: string;

  /** When the network stops waiting for the decision; one still pending after it is declined by the sweep. */
  @Column({ name: 'decide_by', type: 'varchar', length: 30, nullable: true })
  decideBy!: string | null;

  /** SHA-256 of the request: a retry must match it (none for a decline recorded before the request arrived). */
  @Column({ name: 'request_hash', type: 'varchar', length: 64, nullable: true })
  requestHash!: string | null;
}
