import { command, dependencies, event, query } from '../contract';
import { LedgerPatterns } from '../ledger/ledger.patterns';
import type { TransactionView, TransferReply } from '../ledger/ledger.messages';
import { AccountsEventNames, AccountsPatterns } from './accounts.patterns';
import {
  AccountBalanceView,
  AccountOpenedV1,
  AccountView,
  CreatePotRequest,
  GetAccountBalanceRequest,
  GetAccountRequest,
  ListAccountsRequest,
  ListPotsRequest,
  MovePotMoneyRequest,
  OpenAccountRequest,
  PotView,
  TopUpAccountRequest,
  TransferMoneyRequest,
} from './accounts.messages';

/** The accounts context's operations: all on behalf of a customer, who reaches only their own accounts. */
export const AccountsRequests = {
  [AccountsPatterns.OpenAccount]: command(OpenAccountRequest).returns<AccountView>({ requires: 'customer' }),
  [AccountsPatterns.GetAccount]: query(GetAccountRequest).returns<AccountView>({ requires: 'customer' }),
  [AccountsPatterns.ListAccounts]: query(ListAccountsRequest).returns<AccountView[]>({ requires: 'customer' }),
  [AccountsPatterns.GetBalance]: query(GetAccountBalanceRequest).returns<AccountBalanceView>({ requires: 'customer' }),
  [AccountsPatterns.TopUp]: command(TopUpAccountRequest).returns<TransactionView>({ requires: 'customer' }),
  [AccountsPatterns.Transfer]: command(TransferMoneyRequest).returns<TransferReply>({ requires: 'customer' }),
  [AccountsPatterns.CreatePot]: command(CreatePotRequest).returns<PotView>({ requires: 'customer' }),
  [AccountsPatterns.ListPots]: query(ListPotsRequest).returns<PotView[]>({ requires: 'customer' }),
  [AccountsPatterns.DepositToPot]: command(MovePotMoneyRequest).returns<PotView>({ requires: 'customer' }),
  [AccountsPatterns.WithdrawFromPot]: command(MovePotMoneyRequest).returns<PotView>({ requires: 'customer' }),
} as const;

/** Accounts keeps its balances in the ledger. */
export const AccountsDependencies = dependencies({
  calls: [LedgerPatterns.OpenBook, LedgerPatterns.GetBalance, LedgerPatterns.GetBalances, LedgerPatterns.TopUp, LedgerPatterns.Transfer],
});

/** The accounts context's events. */
export const AccountsEvents = {
  [AccountsEventNames.AccountOpened]: event(AccountOpenedV1),
} as const;
