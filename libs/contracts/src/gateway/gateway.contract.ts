import { AccountsPatterns } from '../accounts/accounts.patterns';
import { CardsPatterns } from '../cards/cards.patterns';
import { dependencies, event } from '../contract';
import { FeedEventNames, FeedPatterns } from '../feed/feed.patterns';
import { IdentityEventNames, IdentityPatterns } from '../identity/identity.patterns';
import { LedgerPatterns } from '../ledger/ledger.patterns';
import { WebhooksPatterns } from '../webhooks/webhooks.patterns';
import { AuthorisationAbandonedV1 } from './gateway.messages';
import { GatewayEventNames } from './gateway.patterns';

/** The gateway answers no requests: it is the edge where calls start. */
export const GatewayRequests = {} as const;

/** The gateway's events. */
export const GatewayEvents = {
  [GatewayEventNames.AuthorisationAbandoned]: event(AuthorisationAbandonedV1),
} as const;

/** Everything the HTTP API calls, and the events each of its replicas keeps its memory with. */
export const GatewayDependencies = dependencies({
  calls: [
    ...Object.values(IdentityPatterns),
    ...Object.values(AccountsPatterns),
    LedgerPatterns.ListTransactions,
    LedgerPatterns.GetTransaction,
    LedgerPatterns.AnnotateTransaction,
    ...Object.values(CardsPatterns),
    ...Object.values(FeedPatterns),
    ...Object.values(WebhooksPatterns),
  ],
  observes: [IdentityEventNames.TokenRevoked, FeedEventNames.NotificationCreated],
});
