import { Module } from '@nestjs/common';
import { DatabaseModule } from '@cleave/platform';
import { Account } from './accounts/account.entity';
import { AccountsHandlers } from './accounts.handlers';
import { GetAccountHandler } from './get-account/get-account.handler';
import { accountsMigrations } from './migrations';
import { MoneyHandler } from './money/money.handler';
import { OpenAccountHandler } from './open-account/open-account.handler';
import { OwnedAccounts } from './ownership/owned-accounts';
import { Pot } from './pots/pot.entity';
import { PotsHandler } from './pots/pots.handler';

/** Customers' current accounts and pots, in a database of their own; their money is in the ledger. */
@Module({
  imports: [DatabaseModule.forContext({ context: 'accounts', events: true, entities: [Account, Pot], migrations: accountsMigrations })],
  controllers: [AccountsHandlers],
  providers: [OwnedAccounts, OpenAccountHandler, GetAccountHandler, MoneyHandler, PotsHandler],
})
export class AccountsModule {}
