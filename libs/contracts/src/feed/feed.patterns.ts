/** Request patterns answered by the feed context. */
export const FeedPatterns = {
  ListItems: 'feed.list-items',
  CreateItem: 'feed.create-item',
  ListNotifications: 'feed.list-notifications',
  ListDeadLetters: 'feed.list-dead-letters',
  ReplayDeadLetter: 'feed.replay-dead-letter',
  DiscardDeadLetter: 'feed.discard-dead-letter',
} as const;

/** Events published by the feed context. */
export const FeedEventNames = {
  NotificationCreated: 'feed.notification-created.v1',
} as const;
