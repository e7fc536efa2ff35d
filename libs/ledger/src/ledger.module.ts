import { Module } from '@nestjs/common';
import { CLEAVE_CONFIG, DatabaseModule, readSettings, type CleaveConfig } from '@cleave/platform';
import { Books } from './books/books';
import { LedgerAccount } from './books/ledger-account.entity';
import { Entry } from './entries/entry.entity';
import { Posting } from './entries/posting.entity';
import { GetBalanceHandler } from './get-balance/get-balance.handler';
import { Hold } from './holds/hold.entity';
import { CardPaymentsHandler } from './holds/card-payments.handler';
import { HoldExpiry } from './holds/hold-expiry';
import { HoldsHandler } from './holds/holds.handler';
import { LedgerHandlers } from './ledger.handlers';
import { LedgerSettings } from './ledger.settings';
import { ledgerMigrations } from './migrations';
import { OpenBookHandler } from './open-book/open-book.handler';
import { TopUpHandler } from './top-up/top-up.handler';
import { Transaction } from './transactions/transaction.entity';
import { TransactionJournal } from './transactions/transaction-journal';
import { TransactionsHandler } from './transactions/transactions.handler';
import { TransferHandler } from './transfer/transfer.handler';

/** The double-entry ledger: balances, holds, postings and each book's transactions, in a database of its own. */
@Module({
  imports: [
    DatabaseModule.forContext({
      context: 'ledger',
      events: true,
      idempotency: true,
      entities: [LedgerAccount, Entry, Posting, Hold, Transaction],
      migrations: ledgerMigrations,
    }),
  ],
  controllers: [LedgerHandlers],
  providers: [
    { provide: LedgerSettings, useFactory: (config: CleaveConfig) => readSettings(LedgerSettings, config.env), inject: [CLEAVE_CONFIG] },
    Books,
    OpenBookHandler,
    GetBalanceHandler,
    TopUpHandler,
    TransferHandler,
    HoldsHandler,
    CardPaymentsHandler,
    HoldExpiry,
    TransactionsHandler,
    TransactionJournal,
  ],
})
export class LedgerModule {}
