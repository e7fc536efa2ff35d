import { Controller } from '@nestjs/common';
import {
  LedgerPatterns,
  type AnnotateTransactionRequest,
  type GetBalanceRequest,
  type GetBalancesRequest,
  type GetTransactionRequest,
  type ListTransactionsRequest,
  type OpenBookRequest,
  type PlaceHoldRequest,
  type PostHoldRequest,
  type TopUpRequest,
  type TransferRequest,
  type VoidHoldRequest,
  type CardPaymentRequest,
  type RecordDeclineRequest,
  type ReleaseHoldRequest,
} from '@cleave/contracts';
import { Handles } from '@cleave/platform';
import { GetBalanceHandler } from './get-balance/get-balance.handler';
import { CardPaymentsHandler } from './holds/card-payments.handler';
import { HoldsHandler } from './holds/holds.handler';
import { OpenBookHandler } from './open-book/open-book.handler';
import { TopUpHandler } from './top-up/top-up.handler';
import { TransactionsHandler } from './transactions/transactions.handler';
import { TransferHandler } from './transfer/transfer.handler';

/** The ledger's bus adapter: one method per pattern, each handing a validated request to its use case. */
@Controller()
export class LedgerHandlers {
  constructor(
    private readonly openBook: OpenBookHandler,
    private readonly balances: GetBalanceHandler,
    private readonly topUp: TopUpHandler,
    private readonly transfer: TransferHandler,
    private readonly holds: HoldsHandler,
    private readonly cardPayments: CardPaymentsHandler,
    private readonly transactions: TransactionsHandler,
  ) {}

  @Handles(LedgerPatterns.OpenBook)
  onOpenBook(request: OpenBookRequest) {
    return this.openBook.execute(request);
  }

  @Handles(LedgerPatterns.GetBalance)
  onGetBalance(request: GetBalanceRequest) {
    return this.balances.one(request.accountId);
  }

  @Handles(LedgerPatterns.GetBalances)
  onGetBalances(request: GetBalancesRequest) {
    return this.balances.many(request.accountIds);
  }

  @Handles(LedgerPatterns.TopUp)
  onTopUp(request: TopUpRequest) {
    return this.topUp.execute(request);
  }

  @Handles(LedgerPatterns.Transfer)
  onTransfer(request: TransferRequest) {
    return this.transfer.execute(request);
  }

  @Handles(LedgerPatterns.PlaceHold)
  onPlaceHold(request: PlaceHoldRequest) {
    return this.holds.place(request);
  }

  @Handles(LedgerPatterns.PostHold)
  onPostHold(request: PostHoldRequest) {
    return this.holds.post(request);
  }

  @Handles(LedgerPatterns.VoidHold)
  onVoidHold(request: VoidHoldRequest) {
    return this.holds.void(request);
  }

  @Handles(LedgerPatterns.ReleaseHold)
  onReleaseHold(request: ReleaseHoldRequest) {
    return this.holds.releasePart(request);
  }

  @Handles(LedgerPatterns.PostCardPayment)
  onPostCardPayment(request: CardPaymentRequest) {
    return this.cardPayments.forcePost(request);
  }

  @Handles(LedgerPatterns.RefundCardPayment)
  onRefundCardPayment(request: CardPaymentRequest) {
    return this.cardPayments.refund(request);
  }

  @Handles(LedgerPatterns.RecordDecline)
  onRecordDecline(request: RecordDeclineRequest) {
    return this.cardPayments.recordDecline(request);
  }

  @Handles(LedgerPatterns.ListTransactions)
  onListTransactions(request: ListTransactionsRequest) {
    return this.transactions.list(request);
  }

  @Handles(LedgerPatterns.GetTransaction)
  onGetTransaction(request: GetTransactionRequest) {
    return this.transactions.get(request);
  }

  @Handles(LedgerPatterns.AnnotateTransaction)
  onAnnotateTransaction(request: AnnotateTransactionRequest) {
    return this.transactions.annotate(request);
  }
}
