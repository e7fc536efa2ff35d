import { command, event, query } from '../contract';
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

/** The accounts context's operations. */
export const AccountsRequests = {
  [AccountsPatterns.OpenAccount]: command(OpenAccountRequest).returns<AccountView>(),
  [AccountsPatterns.GetAccount]: query(GetAccountRequest).returns<AccountView>(),
  [AccountsPatterns.ListAccounts]: query(ListAccountsRequest).returns<AccountView[]>(),
  [AccountsPatterns.GetBalance]: query(GetAccountBalanceRequest).returns<AccountBalanceView>(),
  [AccountsPatterns.TopUp]: command(TopUpAccountRequest).returns<TransactionView>(),
  [AccountsPatterns.Transfer]: command(TransferMoneyRequest).returns<TransferReply>(),
  [AccountsPatterns.CreatePot]: command(CreatePotRequest).returns<PotView>(),
  [AccountsPatterns.ListPots]: query(ListPotsRequest).returns<PotView[]>(),
  [AccountsPatterns.DepositToPot]: command(MovePotMoneyRequest).returns<PotView>(),
  [AccountsPatterns.WithdrawFromPot]: command(MovePotMoneyRequest).returns<PotView>(),
} as const;

/** The accounts context's events. */
export const AccountsEvents = {
  [AccountsEventNames.AccountOpened]: event(AccountOpenedV1),
} as const;
