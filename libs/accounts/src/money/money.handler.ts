import { Injectable } from '@nestjs/common';
import {
  type AccountBalanceView,
  AccountsErrors,
  type GetAccountBalanceRequest,
  LedgerPatterns,
  type TopUpAccountRequest,
  type TransactionView,
  type TransferMoneyRequest,
  type TransferReply,
} from '@cleave/contracts';
import { CleaveError, ContextDatabase, MessageBus } from '@cleave/platform';
import { OwnedAccounts } from '../ownership/owned-accounts';
import { Pot } from '../pots/pot.entity';

/** A customer's money: the balance with pots, top-ups, and payments to any account. */
@Injectable()
export class MoneyHandler {
  constructor(
    private readonly db: ContextDatabase,
    private readonly bus: MessageBus,
    private readonly owned: OwnedAccounts,
  ) {}

  async balance(request: GetAccountBalanceRequest): Promise<AccountBalanceView> {
    const account = await this.owned.account(request.accountId);
    const pots = await this.db.read((em) => em.find(Pot, { where: { accountId: account.id, deleted: false }, select: { id: true } }));
    const [main, ...potBalances] = await this.bus.send(LedgerPatterns.GetBalances, { accountIds: [account.id, ...pots.map((p) => p.id)] });
    return {
      accountId: account.id,
      balance: main!.available,
      totalBalance: main!.available + potBalances.reduce((sum, p) => sum + p.balance, 0),
      currency: main!.currency,
      spendToday: main!.spendToday,
    };
  }

  async topUp(request: TopUpAccountRequest): Promise<TransactionView> {
    const account = await this.owned.account(request.accountId);
    const currency = request.currency ?? account.currency;
    if (currency !== account.currency)
      throw CleaveError.of(AccountsErrors.currencyMismatch, `account ${account.id} holds ${account.currency}, not ${currency}`);
    return this.bus.send(LedgerPatterns.TopUp, {
      accountId: account.id,
      amount: request.amount,
      currency,
      description: request.description,
    });
  }

  async transfer(request: TransferMoneyRequest): Promise<TransferReply> {
    const source = await this.owned.account(request.sourceAccountId);
    if (request.destinationAccountId === source.id) throw CleaveError.of(AccountsErrors.sameAccount, 'an account cannot pay itself');
    const destination = await this.owned.anyAccount(request.destinationAccountId);
    const currency = request.currency ?? source.currency;
    if (source.currency !== currency)
      throw CleaveError.of(AccountsErrors.currencyMismatch, `account ${source.id} holds ${source.currency}, not ${currency}`);
    // Another customer's account: what it holds is theirs to know.
    if (destination.currency !== currency)
      throw CleaveError.of(AccountsErrors.currencyMismatch, `the destination account can't take ${currency}`);
    return this.bus.send(LedgerPatterns.Transfer, {
      sourceAccountId: source.id,
      destinationAccountId: destination.id,
      amount: request.amount,
      currency,
      kind: 'transfer',
      description: request.description,
    });
  }
}
