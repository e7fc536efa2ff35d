import type { TransactionView } from './ledger.messages';

// Monzo's JSON shape of a transaction, snake_case: what the HTTP API answers and webhooks deliver, so both
// stay one shape. Fields Monzo's API sends that Cleave has nothing behind (tabs, splitting the bill,
// attachments) are there with the value of "none", because clients written against the live API read them.

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Monzo's merchant group (a chain's branches): every merchant of one name, whatever its city. */
export function merchantGroupId(name: string): string {
  const key = name.trim().toLowerCase();
  let id = 'grp_';
  // FNV-1a, reseeded per digit: stable across processes and versions, no crypto needed for a grouping key.
  let hash = 0x811c9dc5;
  for (let digit = 0; digit < 22; digit++) {
    hash = Math.imul(hash ^ (digit + 1), 0x01000193);
    for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
    id += BASE62[(hash >>> 0) % 62];
  }
  return id;
}

const merchantJson = (t: TransactionView, expand: boolean) => {
  if (!t.merchant) return null;
  if (!expand) return t.merchant.id;
  const m = t.merchant;
  return {
    id: m.id,
    group_id: merchantGroupId(m.name),
    name: m.name,
    category: m.category,
    emoji: m.emoji,
    logo: '',
    // The network gives a city and a country; Monzo's clients expect the rest of the address, so it is empty.
    address: { address: '', city: m.city ?? '', country: m.country ?? '', postcode: '', region: '', latitude: 0, longitude: 0 },
    metadata: { mcc: m.mcc },
  };
};

/** The payment scheme Monzo names: cards, pots, or a bank transfer (which is also how money arrives). */
const schemeOf = (t: TransactionView): string =>
  t.merchant || t.holdId ? 'mastercard' : t.counterparty?.accountId.startsWith('pot_') ? 'uk_retail_pot' : 'payport_faster_payments';

/** A transaction in Monzo's JSON; with `expandMerchant`, the merchant object instead of its id. */
export const transactionJson = (t: TransactionView, expandMerchant = false) => {
  const scheme = schemeOf(t);
  return {
    id: t.id,
    account_id: t.accountId,
    amount: t.amount,
    currency: t.currency,
    local_amount: t.amount,
    local_currency: t.currency,
    created: t.created,
    updated: t.updated || t.settled || t.created,
    description: t.description,
    category: t.category,
    categories: { [t.category]: t.amount },
    settled: t.settled,
    amount_is_pending: t.status === 'pending',
    status: t.status,
    metadata: t.metadata,
    notes: t.notes,
    is_load: t.isLoad,
    // What a customer's spending counts: card payments (and their refunds), as spend_today does.
    include_in_spending: scheme === 'mastercard' && t.status !== 'declined',
    // Money the customer sent: a transfer or a pot deposit.
    originator: scheme !== 'mastercard' && t.amount < 0,
    scheme,
    dedupe_id: t.id,
    counterparty: t.counterparty
      ? { account_id: t.counterparty.accountId, ...(t.counterparty.name ? { name: t.counterparty.name } : {}) }
      : {},
    merchant: merchantJson(t, expandMerchant),
    fees: {},
    atm_fees_detailed: null,
    attachments: null,
    international: null,
    labels: null,
    can_add_to_tab: false,
    can_be_excluded_from_breakdown: false,
    can_be_made_subscription: false,
    can_match_transactions_in_categorization: false,
    can_split_the_bill: false,
    ...(t.declineReason ? { decline_reason: t.declineReason.toUpperCase() } : {}),
  };
};
