import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { LedgerEventNames } from '@cleave/contracts';
import { ContextDatabase, Outbox, sql } from '@cleave/platform';
import { Transaction } from './transaction.entity';
import { transactionView } from './transaction.view';

/** A transaction row's columns, in the order of {@link TransactionJournal.created}'s values. */
export const TRANSACTION_COLUMNS =
  'id, account_id, amount, currency, description, category, is_load, status, settled_at, counterparty_account_id, counterparty_name, metadata, notes, entry_id, hold_id, merchant, decline_reason, created_at';

const insertTransaction = sql(
  'transactions.create',
  `INSERT INTO ledger_transactions (${TRANSACTION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
);

const valuesOf = (row: Transaction): unknown[] => [
  row.id,
  row.accountId,
  row.amount,
  row.currency,
  row.description,
  row.category,
  row.isLoad,
  row.status,
  row.settledAt,
  row.counterpartyAccountId,
  row.counterpartyName,
  row.metadata,
  row.notes,
  row.entryId,
  row.holdId,
  row.merchant,
  row.declineReason,
  row.createdAt,
];

/**
 * Writes transaction rows and reports each change in the same database transaction (the outbox), so the feed
 * and webhooks hear of exactly the transactions that were committed.
 */
@Injectable()
export class TransactionJournal {
  constructor(
    private readonly db: ContextDatabase,
    private readonly outbox: Outbox,
  ) {}

  async create(em: EntityManager, ...rows: Transaction[]): Promise<void> {
    for (const row of rows) {
      await this.db.run(em, insertTransaction, valuesOf(row));
      await this.outbox.add(em, LedgerEventNames.TransactionCreated, { transaction: transactionView(row) }, row.accountId);
    }
  }

  /**
   * A new transaction's row ({@link TRANSACTION_COLUMNS}) and the outbox row of the event reporting it, for
   * a statement that writes both with the change itself; call {@link reported} once it has committed.
   */
  created(row: Transaction): { readonly transaction: unknown[]; readonly event: unknown[] } {
    return {
      transaction: valuesOf(row),
      event: this.outbox.row(LedgerEventNames.TransactionCreated, { transaction: transactionView(row) }, row.accountId),
    };
  }

  /** A statement that wrote a {@link created} transaction has committed. */
  reported(): void {
    this.outbox.written(LedgerEventNames.TransactionCreated);
  }

  async update(em: EntityManager, id: string, changes: Partial<Transaction>): Promise<Transaction> {
    // Each change is dated, so a webhook receiver hearing two of one transaction out of order keeps the newer.
    await em.update(Transaction, { id }, { ...changes, updatedAt: new Date().toISOString() });
    const row = await em.findOneByOrFail(Transaction, { id });
    await this.outbox.add(em, LedgerEventNames.TransactionUpdated, { transaction: transactionView(row) }, row.accountId);
    return row;
  }
}
