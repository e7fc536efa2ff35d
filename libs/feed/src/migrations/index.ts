import { eventsMigration } from '@cleave/platform';
import { CreateFeed1764100000000 } from './1764100000000-create-feed';

/** The feed context's migrations, oldest first. */
export const feedMigrations = [CreateFeed1764100000000, eventsMigration(1764100000001)];
