import type { TransactionView } from './ledger.messages';

// Monzo's JSON shape of a transaction, snake_case: what the HTTP API answers and webhooks deliver, so both
// stay one shape.

const merchantJson = (t: TransactionView, expand: boolean) => {
  if (!t.merchant) return null;
  if (!expand) return t.merchant.id;
  const m = t.merchant;
  return {
    id: m.id,
    name: m.name,
    category: m.category,
    emoji: m.emoji,
    logo: '',
    address: { city: m.city ?? '', country: m.country ?? '' },
    metadata: { mcc: m.mcc },
  };
};

/** A transaction in Monzo's JSON; with `expandMerchant`, the merchant object instead of its id. */
export const transactionJson = (t: TransactionView, expandMerchant = false) => ({
  id: t.id,
  account_id: t.accountId,
  amount: t.amount,
  currency: t.currency,
  local_amount: t.amount,
  local_currency: t.currency,
  created: t.created,
  description: t.description,
  category: t.category,
  settled: t.settled,
  amount_is_pending: t.status === 'pending',
  status: t.status,
  metadata: t.metadata,
  notes: t.notes,
  is_load: t.isLoad,
  counterparty: t.counterparty
    ? { account_id: t.counterparty.accountId, ...(t.counterparty.name ? { name: t.counterparty.name } : {}) }
    : {},
  merchant: merchantJson(t, expandMerchant),
  ...(t.declineReason ? { decline_reason: t.declineReason.toUpperCase() } : {}),
});
