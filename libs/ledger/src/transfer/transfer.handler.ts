import { Injectable } from '@nestjs/common';
import { LedgerErrors, LedgerPatterns, type TransferReply, type TransferRequest } from '@cleave/contracts';
import { CleaveError, ContextDatabase, newEntityId, runIdempotent } from '@cleave/platform';
import { Books } from '../books/books';
import type { LedgerAccountKind } from '../books/ledger-account.entity';
import { TransactionJournal } from '../transactions/transaction-journal';
import { newTransaction, transactionView } from '../transactions/transaction.view';

// Which books each kind of transfer moves money between.
const SIDES: Record<NonNullable<TransferRequest['kind']>, [LedgerAccountKind, LedgerAccountKind]> = {
  transfer: ['customer', 'customer'],
  pot_deposit: ['customer', 'pot'],
  pot_withdrawal: ['pot', 'customer'],
};

/** Moves money between two books of one currency, as one entry with a transaction on each side. */
@Injectable()
export class TransferHandler {
  constructor(
    private readonly db: ContextDatabase,
    private readonly books: Books,
    private readonly journal: TransactionJournal,
  ) {}

  execute(request: TransferRequest): Promise<TransferReply> {
    const kind = request.kind ?? 'transfer';
    return runIdempotent(
      this.db,
      LedgerPatterns.Transfer,
      request,
      async (em) => {
        const source = await this.books.get(em, request.sourceAccountId);
        const destination = await this.books.get(em, request.destinationAccountId);
        const [sourceKind, destinationKind] = SIDES[kind];
        if (source.kind !== sourceKind || destination.kind !== destinationKind) {
          throw CleaveError.of(LedgerErrors.wrongAccountKind, `a ${kind} goes from a ${sourceKind} book to a ${destinationKind} book`);
        }
        for (const book of [source, destination]) {
          if (book.currency !== request.currency) {
            throw CleaveError.of(
              LedgerErrors.currencyMismatch,
              `ledger account ${book.id} holds ${book.currency}, not ${request.currency}`,
            );
          }
        }
        const description =
          request.description ?? (kind === 'transfer' ? 'Transfer' : kind === 'pot_deposit' ? 'Deposit to pot' : 'Withdrawal from pot');
        const entryId = await this.books.move(em, {
          kind,
          description,
          from: source.id,
          to: destination.id,
          amount: request.amount,
          currency: request.currency,
        });
        const now = new Date().toISOString();
        const category = kind === 'transfer' ? 'transfers' : 'savings';
        const side = (accountId: string, amount: number, counterpartyAccountId: string, counterpartyName?: string) =>
          newTransaction({
            id: newEntityId('tx'),
            accountId,
            amount,
            currency: request.currency,
            description,
            category,
            status: 'settled',
            settledAt: now,
            counterpartyAccountId,
            counterpartyName: counterpartyName ?? null,
            entryId,
            createdAt: now,
          });
        const debit = side(source.id, -request.amount, destination.id, request.destinationName);
        const credit = side(destination.id, request.amount, source.id, request.sourceName);
        await this.journal.create(em, debit, credit);
        return { debit: transactionView(debit), credit: transactionView(credit) };
      },
      { sharesKeysWith: [LedgerPatterns.TopUp] },
    );
  }
}
