import { transactionJson } from '@cleave/contracts';
import type {
  DeadLetterView,
  DeliveryView,
  FeedItemView,
  NotificationV1,
  WebhookView,
  AccountBalanceView,
  AccountView,
  AuthorisationDecision,
  CardView,
  PotView,
  TokenReply,
  TransactionView,
  UserView,
} from '@cleave/contracts';

// Monzo's JSON shapes, snake_case, from the contracts' camelCase.

export const userJson = (u: UserView) => ({ id: u.id, name: u.name, email: u.email, created: u.created });

export const tokenJson = (t: TokenReply & { accessToken: string; refreshToken: string }) => ({
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
  // What Monzo's live API adds, for the features Cleave's pots don't have: none of them.
  type: 'default',
  product_id: 'default',
  goal_amount: null,
  round_up: false,
  round_up_multiplier: null,
  locked: false,
  is_tax_pot: false,
  isa_wrapper: '',
  cover_image_url: '',
  available_for_bills: false,
  has_virtual_cards: false,
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
  // The pending transaction the customer sees (and is notified of), once approved.
  ...(d.transactionId ? { transaction_id: d.transactionId } : {}),
  ...(d.declineReason ? { decline_reason: d.declineReason } : {}),
});

/** A transaction as its owner reads it over the API: Monzo's shape (shared with webhooks), with whose it is. */
export const ownTransactionJson = (t: TransactionView, userId: string, expandMerchant = false) => ({
  ...transactionJson(t, expandMerchant),
  user_id: userId,
});

export const feedItemJson = (f: FeedItemView) => ({
  id: f.id,
  account_id: f.accountId,
  type: f.type,
  title: f.title,
  body: f.body,
  image_url: f.imageUrl ?? '',
  url: f.url ?? '',
  ...(f.transactionId ? { transaction_id: f.transactionId } : {}),
  created: f.created,
});

export const notificationJson = (n: NotificationV1) => ({
  id: n.id,
  account_id: n.accountId,
  kind: n.kind,
  text: n.text,
  transaction_id: n.transactionId,
  created: n.created,
});

export const webhookJson = (w: WebhookView) => ({
  id: w.id,
  account_id: w.accountId,
  url: w.url,
  status: w.status,
  created: w.created,
  ...(w.disabledReason ? { disabled_reason: w.disabledReason } : {}),
  ...(w.secret ? { secret: w.secret } : {}),
});

export const deliveryJson = (d: DeliveryView) => ({
  id: d.id,
  webhook_id: d.webhookId,
  event_id: d.eventId,
  type: d.type,
  status: d.status,
  attempts: d.attempts.map((a) => ({ at: a.at, status_code: a.statusCode ?? null, error: a.error ?? null, duration_ms: a.durationMs })),
  ...(d.nextAttempt ? { next_attempt: d.nextAttempt } : {}),
  created: d.created,
});

export const deadLetterJson = (l: DeadLetterView) => ({
  id: l.id,
  context: l.context,
  event_id: l.eventId,
  event: l.event,
  error: l.error,
  attempts: l.attempts,
  created: l.created,
  age_ms: l.ageMs,
  replayed: l.replayed,
});
