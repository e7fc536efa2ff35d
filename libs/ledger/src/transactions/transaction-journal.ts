import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { LedgerEventNames } from '@cleave/contracts';
import { Outbox } from '@cleave/platform';
import { Transaction } from './transaction.entity';
import { transactionView } from './transaction.view';

/**
 * Writes transaction rows and reports each change in the same database transaction (the outbox), so the feed
 * and webhooks hear of exactly the transactions that were committed.
 */
@Injectable()
export class TransactionJournal {
  constructor(private readonly outbox: Outbox) {}

  async create(em: EntityManager, ...rows: Transaction[]): Promise<void> {
    await em.insert(Transaction, rows);
    for (const row of rows) {
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
