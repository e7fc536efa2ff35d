/** Request patterns answered by the ledger context. */
export const LedgerPatterns = {
  OpenBook: 'ledger.open-book',
  GetBalance: 'ledger.get-balance',
  GetBalances: 'ledger.get-balances',
  TopUp: 'ledger.top-up',
  Transfer: 'ledger.transfer',
  PlaceHold: 'ledger.place-hold',
  PostHold: 'ledger.post-hold',
  VoidHold: 'ledger.void-hold',
  ReleaseHold: 'ledger.release-hold',
  PostCardPayment: 'ledger.post-card-payment',
  RefundCardPayment: 'ledger.refund-card-payment',
  RecordDecline: 'ledger.record-decline',
  ListTransactions: 'ledger.list-transactions',
  GetTransaction: 'ledger.get-transaction',
  AnnotateTransaction: 'ledger.annotate-transaction',
} as const;

/** Events published by the ledger. */
export const LedgerEventNames = {
  TransactionCreated: 'ledger.transaction-created.v1',
  TransactionUpdated: 'ledger.transaction-updated.v1',
} as const;
