import { Controller } from '@nestjs/common';
import {
  FeedPatterns,
  LedgerEventNames,
  type CreateFeedItemRequest,
  type ListDeadLettersRequest,
  type ListFeedItemsRequest,
  type ListNotificationsRequest,
  type ReplayDeadLetterRequest,
  type DiscardDeadLetterRequest,
  type TransactionEventV1,
} from '@cleave/contracts';
import { ContextDatabase, DeadLetters, Handles, OnEvent, OnEvents, runOnce, runWithContext, type DeliveredEvent } from '@cleave/platform';
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
   * notification), so a redelivered or replayed event changes nothing without an inbox record. A run of
   * events is taken at once: on PostgreSQL, two statements however many it has.
   */
  @OnEvents(LedgerEventNames.TransactionCreated)
  async onTransactionsCreated(events: ReadonlyArray<DeliveredEvent<TransactionEventV1>>) {
    await this.db.transaction(async (em) => {
      if (this.db.engine === 'postgres') {
        const run = events.map(({ payload, context }) => ({
          tx: payload.transaction,
          item: transactionItem(payload.transaction),
          context,
        }));
        await this.notifications.onCreatedRun(em, run);
        return;
      }
      for (const { payload, context } of events) {
        await runWithContext(context, async () => {
          await this.notifications.onCreated(em, payload.transaction);
          await this.items.add(em, transactionItem(payload.transaction));
        });
      }
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
    return this.deadLetters.list('feed', request.includeReplayed, request.after);
  }

  @Handles(FeedPatterns.ReplayDeadLetter)
  onReplayDeadLetter(request: ReplayDeadLetterRequest) {
    return this.deadLetters.replay('feed', request.id);
  }

  @Handles(FeedPatterns.DiscardDeadLetter)
  onDiscardDeadLetter(request: DiscardDeadLetterRequest) {
    return this.deadLetters.discard('feed', request.id);
  }
}
