import { deadLettersByEventMigration, eventsMigration } from '@cleave/platform';
import { CreateFeed1764100000000 } from './1764100000000-create-feed';
import { CardSpendDays1766100000000 } from './1766100000000-card-spend-days';
import { FeedInTimeOrder1766200000000 } from './1766200000000-feed-in-time-order';

/** The feed context's migrations, oldest first. */
export const feedMigrations = [
  CreateFeed1764100000000,
  eventsMigration(1764100000001),
  CardSpendDays1766100000000,
  FeedInTimeOrder1766200000000,
  deadLettersByEventMigration(1767300000000),
];
