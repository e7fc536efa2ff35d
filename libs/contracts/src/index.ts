// The shared language of Cleave's contexts: patterns, DTOs, events and error codes. A leaf: it imports
// nothing from the workspace.
import { AccountsDependencies, AccountsEvents, AccountsRequests } from './accounts/accounts.contract';
import { CardsDependencies, CardsEvents, CardsRequests } from './cards/cards.contract';
import { GatewayDependencies, GatewayEvents, GatewayRequests } from './gateway/gateway.contract';
import { IdentityDependencies, IdentityEvents, IdentityRequests } from './identity/identity.contract';
import { LedgerDependencies, LedgerEvents, LedgerRequests } from './ledger/ledger.contract';
import { FeedDependencies, FeedEvents, FeedRequests } from './feed/feed.contract';
import { WebhooksDependencies, WebhooksEvents, WebhooksRequests } from './webhooks/webhooks.contract';

export * from './contract';
export * from './errors';
export * from './ids';
export * from './text';
export * from './currency';
export * from './identity/identity.patterns';
export * from './identity/identity.messages';
export * from './identity/identity.contract';
export * from './identity/identity.errors';
export * from './accounts/accounts.patterns';
export * from './accounts/accounts.messages';
export * from './accounts/accounts.contract';
export * from './accounts/accounts.errors';
export * from './ledger/ledger.patterns';
export * from './ledger/ledger.messages';
export * from './ledger/ledger.contract';
export * from './ledger/ledger.errors';
export * from './ledger/transaction.json';
export * from './cards/merchant';
export * from './cards/cards.patterns';
export * from './cards/cards.messages';
export * from './cards/cards.contract';
export * from './cards/cards.errors';
export * from './dead-letters';
export * from './feed/feed.patterns';
export * from './feed/feed.messages';
export * from './feed/feed.contract';
export * from './feed/feed.errors';
export * from './webhooks/webhooks.patterns';
export * from './webhooks/webhooks.messages';
export * from './webhooks/webhooks.contract';
export * from './webhooks/webhooks.errors';
export * from './gateway/gateway.patterns';
export * from './gateway/gateway.messages';
export * from './gateway/gateway.contract';
export * from './gateway/gateway.errors';

/** Every request pattern of every context → its request class and reply type. */
export const CleaveRequests = {
  ...GatewayRequests,
  ...IdentityRequests,
  ...AccountsRequests,
  ...LedgerRequests,
  ...CardsRequests,
  ...FeedRequests,
  ...WebhooksRequests,
} as const;
/** The type of {@link CleaveRequests}: what `bus.send` is checked against. */
export type CleaveRequests = typeof CleaveRequests;

/** Every event of every context → its payload class. */
export const CleaveEvents = {
  ...GatewayEvents,
  ...IdentityEvents,
  ...AccountsEvents,
  ...LedgerEvents,
  ...CardsEvents,
  ...FeedEvents,
  ...WebhooksEvents,
} as const;
/** The type of {@link CleaveEvents}: what `bus.emit` is checked against. */
export type CleaveEvents = typeof CleaveEvents;

/** What each context calls and which events it handles: its licence on the bus, and its NATS permissions. */
export const CleaveDependencies = {
  gateway: GatewayDependencies,
  identity: IdentityDependencies,
  accounts: AccountsDependencies,
  ledger: LedgerDependencies,
  cards: CardsDependencies,
  feed: FeedDependencies,
  webhooks: WebhooksDependencies,
} as const;
