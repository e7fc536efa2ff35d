import { command, dependencies, event, query } from '../contract';
import { LedgerEventNames, LedgerPatterns } from './ledger.patterns';
import {
  AnnotateTransactionRequest,
  CardPaymentRequest,
  RecordDeclineRequest,
  ReleaseHoldRequest,
  BalanceReply,
  GetBalanceRequest,
  GetBalancesRequest,
  GetTransactionRequest,
  HoldView,
  ListTransactionsRequest,
  OpenBookRequest,
  PlaceHoldRequest,
  PostHoldRequest,
  TopUpRequest,
  TransactionEventV1,
  TransactionView,
  TransferReply,
  TransferRequest,
  VoidHoldRequest,
} from './ledger.messages';

/** The ledger's operations. */
export const LedgerRequests = {
  [LedgerPatterns.OpenBook]: command(OpenBookRequest).returns<BalanceReply>(),
  [LedgerPatterns.GetBalance]: query(GetBalanceRequest).returns<BalanceReply>(),
  [LedgerPatterns.GetBalances]: query(GetBalancesRequest).returns<BalanceReply[]>(),
  [LedgerPatterns.TopUp]: command(TopUpRequest).returns<TransactionView>(),
  [LedgerPatterns.Transfer]: command(TransferRequest).returns<TransferReply>(),
  [LedgerPatterns.PlaceHold]: command(PlaceHoldRequest).returns<HoldView>(),
  [LedgerPatterns.PostHold]: command(PostHoldRequest).returns<HoldView>(),
  [LedgerPatterns.VoidHold]: command(VoidHoldRequest).returns<HoldView>(),
  [LedgerPatterns.ReleaseHold]: command(ReleaseHoldRequest).returns<HoldView>(),
  [LedgerPatterns.PostCardPayment]: command(CardPaymentRequest).returns<TransactionView>(),
  [LedgerPatterns.RefundCardPayment]: command(CardPaymentRequest).returns<TransactionView>(),
  [LedgerPatterns.RecordDecline]: command(RecordDeclineRequest).returns<TransactionView>(),
  [LedgerPatterns.ListTransactions]: query(ListTransactionsRequest).returns<TransactionView[]>(),
  [LedgerPatterns.GetTransaction]: query(GetTransactionRequest).returns<TransactionView>(),
  [LedgerPatterns.AnnotateTransaction]: command(AnnotateTransactionRequest).returns<TransactionView>(),
} as const;

/** The ledger calls no one: it is where the money is. */
export const LedgerDependencies = dependencies({});

/** The ledger's events. */
export const LedgerEvents = {
  [LedgerEventNames.TransactionCreated]: event(TransactionEventV1),
  [LedgerEventNames.TransactionUpdated]: event(TransactionEventV1),
} as const;
