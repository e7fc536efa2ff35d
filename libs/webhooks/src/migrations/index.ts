import { deadLettersByEventMigration, eventsMigration } from '@cleave/platform';
import { CreateWebhooks1764100000000 } from './1764100000000-create-webhooks';
import { UnreachableSince1767000000000 } from './1767000000000-unreachable-since';
import { WebhookOwners1767400000000 } from './1767400000000-webhook-owners';

/** The webhooks context's migrations, oldest first. */
export const webhooksMigrations = [
  CreateWebhooks1764100000000,
  eventsMigration(1764100000001),
  UnreachableSince1767000000000,
  deadLettersByEventMigration(1767300000000),
  WebhookOwners1767400000000,
];
