import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { LedgerEventNames } from '@cleave/contracts';
import { ContextDatabase, Outbox, sql } from '@cleave/platform';
import { Transaction } from './transaction.entity';
import { transactionView } from './transaction.view';

const insertTransaction = sql(
  'transactions.create',
  'INSERT INTO ledger_transactions (id, account_id, amount, currency, description, category, is_load, status, settled_at, counterparty_account_id, counterparty_name, metadata, notes, entry_id, hold_id, merchant, decline_reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
);

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
      await this.db.run(em, insertTransaction, [
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
      ]);
      await this.outbox.add(em, LedgerEventNames.TransactionCreated, { transaction: transactionView(row) }, row.accountId);
    }
  }

  async update(em: EntityManager, id: string, changes: Partial<Transaction>): Promise<Transaction> {
    await em.update(Transaction, { id }, changes);
    const row = await em.findOneByOrFail(Transaction, { id });
    await this.outbox.add(em, LedgerEventNames.TransactionUpdated, { transaction: transactionView(row) }, row.accountId);
    return row;
  }
}
