import { Controller } from '@nestjs/common';
import {
  AccountsPatterns,
  type CreatePotRequest,
  type GetAccountBalanceRequest,
  type GetAccountRequest,
  type ListAccountsRequest,
  type ListPotsRequest,
  type MovePotMoneyRequest,
  type OpenAccountRequest,
  type TopUpAccountRequest,
  type TransferMoneyRequest,
} from '@cleave/contracts';
import { Handles } from '@cleave/platform';
import { GetAccountHandler } from './get-account/get-account.handler';
import { MoneyHandler } from './money/money.handler';
import { OpenAccountHandler } from './open-account/open-account.handler';
import { PotsHandler } from './pots/pots.handler';

/** The accounts context's bus adapter: one method per pattern, each handing a validated request to its use case. */
@Controller()
export class AccountsHandlers {
  constructor(
    private readonly openAccount: OpenAccountHandler,
    private readonly accounts: GetAccountHandler,
    private readonly money: MoneyHandler,
    private readonly pots: PotsHandler,
  ) {}

  @Handles(AccountsPatterns.OpenAccount)
  onOpenAccount(request: OpenAccountRequest) {
    return this.openAccount.execute(request);
  }

  @Handles(AccountsPatterns.GetAccount)
  onGetAccount(request: GetAccountRequest) {
    return this.accounts.one(request);
  }

  @Handles(AccountsPatterns.ListAccounts)
  onListAccounts(request: ListAccountsRequest) {
    return this.accounts.list(request);
  }

  @Handles(AccountsPatterns.GetBalance)
  onGetBalance(request: GetAccountBalanceRequest) {
    return this.money.balance(request);
  }

  @Handles(AccountsPatterns.TopUp)
  onTopUp(request: TopUpAccountRequest) {
    return this.money.topUp(request);
  }

  @Handles(AccountsPatterns.Transfer)
  onTransfer(request: TransferMoneyRequest) {
    return this.money.transfer(request);
  }

  @Handles(AccountsPatterns.CreatePot)
  onCreatePot(request: CreatePotRequest) {
    return this.pots.create(request);
  }

  @Handles(AccountsPatterns.ListPots)
  onListPots(request: ListPotsRequest) {
    return this.pots.list(request);
  }

  @Handles(AccountsPatterns.DepositToPot)
  onDepositToPot(request: MovePotMoneyRequest) {
    return this.pots.deposit(request);
  }

  @Handles(AccountsPatterns.WithdrawFromPot)
  onWithdrawFromPot(request: MovePotMoneyRequest) {
    return this.pots.withdraw(request);
  }
}
