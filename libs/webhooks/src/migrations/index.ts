import { eventsMigration } from '@cleave/platform';
import { CreateWebhooks1764100000000 } from './1764100000000-create-webhooks';

/** The webhooks context's migrations, oldest first. */
export const webhooksMigrations = [CreateWebhooks1764100000000, eventsMigration(1764100000001)];
