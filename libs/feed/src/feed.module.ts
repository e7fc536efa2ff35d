import { Module } from '@nestjs/common';
import { CLEAVE_CONFIG, DatabaseModule, readSettings, type CleaveConfig } from '@cleave/platform';
import { FeedHandlers } from './feed.handlers';
import { FeedSettings } from './feed.settings';
import { FeedItem } from './items/feed-item.entity';
import { FeedItems } from './items/feed-items';
import { feedMigrations } from './migrations';
import { CardSpend } from './spending/card-spend.entity';
import { CardSpendDay } from './spending/card-spend-day.entity';
import { Notification } from './spending/notification.entity';
import { SpendingNotifications } from './spending/spending-notifications';

/** The activity feed and spending notifications, kept from the ledger's events in a database of their own. */
@Module({
  imports: [
    DatabaseModule.forContext({
      context: 'feed',
      events: true,
      entities: [FeedItem, CardSpend, CardSpendDay, Notification],
      migrations: feedMigrations,
    }),
  ],
  controllers: [FeedHandlers],
  providers: [
    { provide: FeedSettings, useFactory: (config: CleaveConfig) => readSettings(FeedSettings, config.env), inject: [CLEAVE_CONFIG] },
    FeedItems,
    SpendingNotifications,
  ],
})
export class FeedModule {}
