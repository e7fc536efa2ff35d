import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type CardPaymentRequest, LedgerErrors, LedgerPatterns, type RecordDeclineRequest, type TransactionView } from '@cleave/contracts';
import {
  CleaveError,
  ContextDatabase,
  IDEMPOTENCY_COLUMNS,
  idempotencyRecord,
  newEntityId,
  OUTBOX_COLUMNS,
  runIdempotent,
  sql,
} from '@cleave/platform';
import { bankBookId, Books } from '../books/books';
import type { Transaction } from '../transactions/transaction.entity';
import { TRANSACTION_COLUMNS, TransactionJournal } from '../transactions/transaction-journal';
import { newTransaction, transactionView } from '../transactions/transaction.view';

/**
 * A decline recorded in one PostgreSQL statement (one round trip, committed on its own): the key's record,
 * the declined transaction and its event, written only when the book exists and the key is new. A key
 * recorded before (or being recorded: the insert waits for it) writes nothing, and its first answer is
 * read after.
 */
const declineAtOnce = sql(
  'card-payments.decline-at-once',
  '-- PostgreSQL only',
  `WITH book AS (
    SELECT id FROM ledger_accounts WHERE id = $1
  ), claimed AS (
    INSERT INTO idempotency_records (${IDEMPOTENCY_COLUMNS}) SELECT $2, $3, $4, $5, $6 FROM book
    ON CONFLICT DO NOTHING RETURNING 1
  ), journaled AS (
    INSERT INTO ledger_transactions (${TRANSACTION_COLUMNS})
    SELECT $7, $8, $9::bigint, $10, $11, $12, $13::boolean, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24 FROM claimed
  ), reported AS (
    INSERT INTO outbox (${OUTBOX_COLUMNS}) SELECT $25, $26, $27, $28, $29, $30 FROM claimed
  )
  SELECT (SELECT count(*) FROM book)::int AS found, (SELECT count(*) FROM claimed)::int AS claimed`,
);

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

  /**
   * A declined payment: a row on the customer's statement, no money moved. On PostgreSQL in one statement
   * ({@link declineAtOnce}), as a tenth of card payments come here.
   */
  recordDecline(request: RecordDeclineRequest): Promise<TransactionView> {
    if (this.db.engine === 'postgres') return this.recordDeclineAtOnce(request);
    return runIdempotent(this.db, LedgerPatterns.RecordDecline, request, async (em) => {
      await this.books.get(em, request.accountId);
      return this.record(em, request, -request.amount, 'declined', { declineReason: request.declineReason });
    });
  }

  private async recordDeclineAtOnce(request: RecordDeclineRequest, retry = true): Promise<TransactionView> {
    const tx = this.cardTransaction(request, -request.amount, 'declined', { declineReason: request.declineReason });
    const result = transactionView(tx);
    const key = idempotencyRecord(this.db, LedgerPatterns.RecordDecline, request, result);
    const created = this.journal.created(tx);
    const row = await this.db.get<{ found: number; claimed: number }>(undefined, declineAtOnce, [
      request.accountId,
      ...key.values,
      ...created.transaction,
      ...created.event,
    ]);
    if (row!.claimed === 1) {
      this.journal.reported();
      return result;
    }
    const earlier = await key.earlier<TransactionView>();
    if (earlier) return earlier.replay;
    if (row!.found === 0) throw CleaveError.notFound(`no ledger account ${request.accountId}`);
    // The key was there when the statement looked and is gone now (pruned): record the decline afresh.
    if (retry) return this.recordDeclineAtOnce(request, false);
    throw CleaveError.unavailable('the decline could not be recorded: its key came and went; try again');
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
    const tx = this.cardTransaction(request, amount, status, extra);
    await this.journal.create(em, tx);
    return transactionView(tx);
  }

  private cardTransaction(
    request: CardPaymentRequest,
    amount: number,
    status: 'settled' | 'declined',
    extra: { entryId?: string; declineReason?: string },
  ): Transaction {
    const now = new Date().toISOString();
    return newTransaction({
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
  }
}
