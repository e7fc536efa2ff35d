import { Injectable } from '@nestjs/common';
import type { BalanceReply, OpenBookRequest } from '@cleave/contracts';
import { CleaveError, ContextDatabase } from '@cleave/platform';
import { balanceOf } from '../books/balance.view';
import { Books } from '../books/books';
import { LedgerAccount } from '../books/ledger-account.entity';
import { LedgerErrors } from '@cleave/contracts';

/** Opens the book of a customer's account or pot; opening it again alike is a no-op. */
@Injectable()
export class OpenBookHandler {
  constructor(
    private readonly db: ContextDatabase,
    private readonly books: Books,
  ) {}

  execute(request: OpenBookRequest): Promise<BalanceReply> {
    const kind = request.kind ?? 'customer';
    if ((kind === 'pot') !== request.accountId.startsWith('pot_')) {
      throw CleaveError.of(LedgerErrors.badParam, `a ${kind} book needs a ${kind === 'pot' ? 'pot_' : 'acc_'} id`);
    }
    return this.db.transaction(async (em) => {
      await this.books.ensure(em, request.accountId, kind, request.currency);
      const book = await em.findOneByOrFail(LedgerAccount, { id: request.accountId });
      if (book.currency !== request.currency || book.kind !== kind) {
        throw CleaveError.of(
          LedgerErrors.bookExists,
          `ledger account ${request.accountId} exists as a ${book.kind} book in ${book.currency}`,
        );
      }
      return balanceOf(book, 0);
    });
  }
}
