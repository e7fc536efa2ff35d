import { Controller } from '@nestjs/common';
import {
  FeedPatterns,
  LedgerEventNames,
  type CreateFeedItemRequest,
  type ListDeadLettersRequest,
  type ListFeedItemsRequest,
  type ListNotificationsRequest,
  type ReplayDeadLetterRequest,
  type TransactionEventV1,
} from '@cleave/contracts';
import { ContextDatabase, DeadLetters, Handles, OnEvent, runOnce } from '@cleave/platform';
import { FeedItems, transactionItem } from './items/feed-items';
import { SpendingNotifications } from './spending/spending-notifications';

/** The feed context's bus adapter. */
@Controller()
export class FeedHandlers {
  constructor(
    private readonly db: ContextDatabase,
    private readonly items: FeedItems,
    private readonly notifications: SpendingNotifications,
    private readonly deadLetters: DeadLetters,
  ) {}

  /**
   * Each effect is written once per transaction (unique keys on the item, the day's spend row and the
   * notification), so a redelivered or replayed event changes nothing without an inbox record.
   */
  @OnEvent(LedgerEventNames.TransactionCreated)
  async onTransactionCreated(event: TransactionEventV1) {
    const item = transactionItem(event.transaction);
    await this.db.transaction(async (em) => {
      if (!(await this.notifications.onCreated(em, event.transaction, item))) await this.items.add(em, item);
    });
  }

  @OnEvent(LedgerEventNames.TransactionUpdated)
  async onTransactionUpdated(event: TransactionEventV1) {
    await runOnce(this.db, (em) => this.notifications.onUpdated(em, event.transaction));
  }

  @Handles(FeedPatterns.ListItems)
  onListItems(request: ListFeedItemsRequest) {
    return this.items.list(request);
  }

  @Handles(FeedPatterns.CreateItem)
  onCreateItem(request: CreateFeedItemRequest) {
    return this.items.create(request);
  }

  @Handles(FeedPatterns.ListNotifications)
  onListNotifications(request: ListNotificationsRequest) {
    return this.notifications.list(request);
  }

  @Handles(FeedPatterns.ListDeadLetters)
  onListDeadLetters(request: ListDeadLettersRequest) {
    return this.deadLetters.list('feed', request.includeReplayed);
  }

  @Handles(FeedPatterns.ReplayDeadLetter)
  onReplayDeadLetter(request: ReplayDeadLetterRequest) {
    return this.deadLetters.replay('feed', request.id);
  }
}
