import type { MerchantView, TransactionView } from '@cleave/contracts';
import type { Transaction } from './transaction.entity';

/** A transaction row in Monzo's shape. */
export function transactionView(t: Transaction): TransactionView {
  return {
    id: t.id,
    accountId: t.accountId,
    amount: t.amount,
    currency: t.currency,
    created: t.createdAt,
    description: t.description,
    category: t.category,
    settled: t.settledAt ?? '',
    ...(t.updatedAt ? { updated: t.updatedAt } : {}),
    metadata: JSON.parse(t.metadata) as Record<string, string>,
    notes: t.notes,
    isLoad: t.isLoad,
    status: t.status,
    ...(t.counterpartyAccountId
      ? { counterparty: { accountId: t.counterpartyAccountId, ...(t.counterpartyName ? { name: t.counterpartyName } : {}) } }
      : {}),
    ...(t.holdId ? { holdId: t.holdId } : {}),
    ...(t.merchant ? { merchant: JSON.parse(t.merchant) as MerchantView } : {}),
    ...(t.declineReason ? { declineReason: t.declineReason } : {}),
  };
}

/** A new transaction row; fields not given take their defaults. */
export function newTransaction(
  fields: Pick<Transaction, 'id' | 'accountId' | 'amount' | 'currency' | 'description' | 'category' | 'status' | 'createdAt'> &
    Partial<Transaction>,
): Transaction {
  return {
    isLoad: false,
    settledAt: null,
    updatedAt: null,
    counterpartyAccountId: null,
    counterpartyName: null,
    metadata: '{}',
    notes: '',
    entryId: null,
    holdId: null,
    merchant: null,
    declineReason: null,
    ...fields,
  } as Transaction;
}
