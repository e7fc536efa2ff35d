import { command, dependencies, event, query } from '../contract';
import { LedgerEventNames } from '../ledger/ledger.patterns';
import { DiscardDeadLetterRequest, ListDeadLettersRequest, ReplayDeadLetterRequest, type DeadLetterView } from '../dead-letters';
import { FeedEventNames, FeedPatterns } from './feed.patterns';
import {
  CreateFeedItemRequest,
  ListFeedItemsRequest,
  ListNotificationsRequest,
  NotificationCreatedV1,
  type FeedItemView,
  type NotificationV1,
} from './feed.messages';

/** The feed context's operations. */
export const FeedRequests = {
  [FeedPatterns.ListItems]: query(ListFeedItemsRequest).returns<FeedItemView[]>({ requires: 'customer' }),
  [FeedPatterns.CreateItem]: command(CreateFeedItemRequest).returns<FeedItemView>({ requires: 'customer' }),
  [FeedPatterns.ListNotifications]: query(ListNotificationsRequest).returns<NotificationV1[]>({ requires: 'customer' }),
  [FeedPatterns.ListDeadLetters]: query(ListDeadLettersRequest).returns<DeadLetterView[]>({ requires: 'admin' }),
  [FeedPatterns.ReplayDeadLetter]: command(ReplayDeadLetterRequest).returns<DeadLetterView>({ requires: 'admin' }),
  [FeedPatterns.DiscardDeadLetter]: command(DiscardDeadLetterRequest).returns<DeadLetterView>({ requires: 'admin' }),
} as const;

/** The feed keeps its own copy of the ledger's transactions. */
export const FeedDependencies = dependencies({
  consumes: [LedgerEventNames.TransactionCreated, LedgerEventNames.TransactionUpdated],
});

/** The feed context's events. */
export const FeedEvents = {
  [FeedEventNames.NotificationCreated]: event(NotificationCreatedV1),
} as const;
