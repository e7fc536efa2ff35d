import type { AccountBalanceView, AccountView, AuthorisationDecision, CardView, PotView, TokenReply, TransactionView, UserView } from '@cleave/contracts';

// Monzo's JSON shapes, snake_case, from the contracts' camelCase.

export const userJson = (u: UserView) => ({ id: u.id, name: u.name, email: u.email, created: u.created });

export const tokenJson = (t: TokenReply) => ({
  access_token: t.accessToken,
  client_id: t.clientId,
  expires_in: t.expiresIn,
  refresh_token: t.refreshToken,
  token_type: t.tokenType,
  user_id: t.userId,
});

export const accountJson = (a: AccountView) => ({
  id: a.id,
  description: a.description,
  created: a.created,
  currency: a.currency,
  type: 'uk_retail',
  closed: false,
  owners: [{ user_id: a.ownerId }],
});

export const balanceJson = (b: AccountBalanceView) => ({
  balance: b.balance,
  total_balance: b.totalBalance,
  currency: b.currency,
  spend_today: b.spendToday,
});

export const potJson = (p: PotView) => ({
  id: p.id,
  name: p.name,
  style: '',
  balance: p.balance,
  currency: p.currency,
  created: p.created,
  updated: p.updated,
  deleted: p.deleted,
  current_account_id: p.currentAccountId,
});

export const cardJson = (c: CardView) => ({
  id: c.id,
  account_id: c.accountId,
  last_digits: c.last4,
  expires: `${String(c.expiryMonth).padStart(2, '0')}/${c.expiryYear}`,
  status: c.status,
  token: c.token,
  currency: c.currency,
  limits: { per_transaction: c.limits.perTransaction, per_day: c.limits.perDay },
  created: c.created,
});

export const decisionJson = (d: AuthorisationDecision) => ({
  approved: d.approved,
  network_transaction_id: d.networkTransactionId,
  ...(d.authorisationId ? { authorisation_id: d.authorisationId } : {}),
  ...(d.declineReason ? { decline_reason: d.declineReason } : {}),
});

/** A merchant as Monzo shows it when expanded (`expand[]=merchant`); otherwise just its id. */
const merchantJson = (t: TransactionView, expand: boolean) => {
  if (!t.merchant) return null;
  if (!expand) return t.merchant.id;
  const m = t.merchant;
  return { id: m.id, name: m.name, category: m.category, emoji: m.emoji, logo: '', address: { city: m.city ?? '', country: m.country ?? '' }, metadata: { mcc: m.mcc } };
};

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
  counterparty: t.counterparty ? { account_id: t.counterparty.accountId, ...(t.counterparty.name ? { name: t.counterparty.name } : {}) } : {},
  merchant: merchantJson(t, expandMerchant),
  ...(t.declineReason ? { decline_reason: t.declineReason.toUpperCase() } : {}),
});
