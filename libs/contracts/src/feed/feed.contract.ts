import { command, event, query } from '../contract';
import { ListDeadLettersRequest, ReplayDeadLetterRequest, type DeadLetterView } from '../dead-letters';
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
  [FeedPatterns.ListItems]: query(ListFeedItemsRequest).returns<FeedItemView[]>(),
  [FeedPatterns.CreateItem]: command(CreateFeedItemRequest).returns<FeedItemView>(),
  [FeedPatterns.ListNotifications]: query(ListNotificationsRequest).returns<NotificationV1[]>(),
  [FeedPatterns.ListDeadLetters]: query(ListDeadLettersRequest).returns<DeadLetterView[]>(),
  [FeedPatterns.ReplayDeadLetter]: command(ReplayDeadLetterRequest).returns<DeadLetterView>(),
} as const;

/** The feed context's events. */
export const FeedEvents = {
  [FeedEventNames.NotificationCreated]: event(NotificationCreatedV1),
} as const;
