import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type CardPaymentRequest, LedgerErrors, LedgerPatterns, type RecordDeclineRequest, type TransactionView } from '@cleave/contracts';
import { CleaveError, ContextDatabase, newEntityId, runIdempotent } from '@cleave/platform';
import { bankBookId, Books } from '../books/books';
import { TransactionJournal } from '../transactions/transaction-journal';
import { newTransaction, transactionView } from '../transactions/transaction.view';

/** Card payments that don't go through a hold: force posts, refunds, and declines kept for the record. */
@Injectable()
export class CardPaymentsHandler {
  constructor(
    private readonly db: ContextDatabase,
    private readonly books: Books,
    private readonly journal: TransactionJournal,
  ) {}

  /** A presentment with no authorisation: taken at once, if the customer can afford it. */
  forcePost(request: CardPaymentRequest): Promise<TransactionView> {
    return runIdempotent(this.db, LedgerPatterns.PostCardPayment, request, async (em) => {
      const settlement = await this.customerAndSettlement(em, request);
      const entryId = await this.books.move(em, {
        kind: 'force_post',
        description: request.description,
        from: request.accountId,
        to: settlement,
        amount: request.amount,
        currency: request.currency,
      });
      return this.record(em, request, -request.amount, 'settled', { entryId });
    });
  }

  /** Money back from a merchant, from the bank's settlement book. */
  refund(request: CardPaymentRequest): Promise<TransactionView> {
    return runIdempotent(this.db, LedgerPatterns.RefundCardPayment, request, async (em) => {
      const settlement = await this.customerAndSettlement(em, request);
      const entryId = await this.books.move(em, {
        kind: 'card_refund',
        description: request.description,
        from: settlement,
        to: request.accountId,
        amount: request.amount,
        currency: request.currency,
      });
      return this.record(em, request, request.amount, 'settled', { entryId });
    });
  }

  /** A declined payment: a row on the customer's statement, no money moved. */
  recordDecline(request: RecordDeclineRequest): Promise<TransactionView> {
    return runIdempotent(this.db, LedgerPatterns.RecordDecline, request, async (em) => {
      await this.books.get(em, request.accountId);
      return this.record(em, request, -request.amount, 'declined', { declineReason: request.declineReason });
    });
  }

  private async customerAndSettlement(em: EntityManager, request: CardPaymentRequest): Promise<string> {
    const book = await this.books.get(em, request.accountId);
    if (book.kind !== 'customer') throw CleaveError.of(LedgerErrors.notACurrentAccount, 'card payments are made on current accounts');
    const settlement = bankBookId('settlement', request.currency);
    await this.books.ensure(em, settlement, 'settlement', request.currency);
    return settlement;
  }

  private async record(
    em: EntityManager,
    request: CardPaymentRequest,
    amount: number,
    status: 'settled' | 'declined',
    extra: { entryId?: string; declineReason?: string },
  ): Promise<TransactionView> {
    const now = new Date().toISOString();
    const tx = newTransaction({
      id: newEntityId('tx'),
      accountId: request.accountId,
      amount,
      currency: request.currency,
      description: request.description,
      category: request.category,
      status,
      settledAt: status === 'settled' ? now : null,
      merchant: JSON.stringify(request.merchant),
      entryId: extra.entryId ?? null,
      declineReason: extra.declineReason ?? null,
      createdAt: now,
    });
    await this.journal.create(em, tx);
    return transactionView(tx);
  }
}
