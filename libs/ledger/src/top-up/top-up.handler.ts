import { Injectable } from '@nestjs/common';
import { LedgerErrors, LedgerPatterns, type TopUpRequest, type TransactionView } from '@cleave/contracts';
import { CleaveError, ContextDatabase, newEntityId, runIdempotent } from '@cleave/platform';
import { bankBookId, Books } from '../books/books';
import { TransactionJournal } from '../transactions/transaction-journal';
import { newTransaction, transactionView } from '../transactions/transaction.view';

/** Credits a customer's account from the bank's funding book. */
@Injectable()
export class TopUpHandler {
  constructor(
    private readonly db: ContextDatabase,
    private readonly books: Books,
    private readonly journal: TransactionJournal,
  ) {}

  execute(request: TopUpRequest): Promise<TransactionView> {
    return runIdempotent(
      this.db,
      LedgerPatterns.TopUp,
      request,
      async (em) => {
        const book = await this.books.get(em, request.accountId);
        if (book.kind !== 'customer') throw CleaveError.of(LedgerErrors.notACurrentAccount, 'only a current account can be topped up');
        const funding = bankBookId('funding', request.currency);
        await this.books.ensure(em, funding, 'funding', request.currency);
        const description = request.description ?? 'Top up';
        const entryId = await this.books.move(em, {
          kind: 'top_up',
          description,
          from: funding,
          to: book.id,
          amount: request.amount,
          currency: request.currency,
        });
        const now = new Date().toISOString();
        const tx = newTransaction({
          id: newEntityId('tx'),
          accountId: book.id,
          amount: request.amount,
          currency: request.currency,
          description,
          // Monzo: "top-ups have category mondo".
          category: 'mondo',
          status: 'settled',
          settledAt: now,
          isLoad: true,
          entryId,
          createdAt: now,
        });
        await this.journal.create(em, tx);
        return transactionView(tx);
      },
      { sharesKeysWith: [LedgerPatterns.Transfer] },
    );
  }
}
