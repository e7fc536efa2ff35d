import { Module } from '@nestjs/common';
import { CLEAVE_CONFIG, DatabaseModule, readSettings, type CleaveConfig } from '@cleave/platform';
import { Deliveries } from './deliveries/deliveries';
import { Delivery } from './deliveries/delivery.entity';
import { DeliveryDispatcher } from './deliveries/dispatcher';
import { webhooksMigrations } from './migrations';
import { Registrations } from './registrations/registrations';
import { Webhook } from './registrations/webhook.entity';
import { WebhooksHandlers } from './webhooks.handlers';
import { WebhooksSettings } from './webhooks.settings';

/** Signed webhooks for each account's transaction events, delivered with retries from a database of their own. */
@Module({
  imports: [
    DatabaseModule.forContext({ context: 'webhooks', events: true, entities: [Webhook, Delivery], migrations: webhooksMigrations }),
  ],
  controllers: [WebhooksHandlers],
  providers: [
    {
      provide: WebhooksSettings,
      useFactory: (config: CleaveConfig) => readSettings(WebhooksSettings, config.env),
      inject: [CLEAVE_CONFIG],
    },
    Registrations,
    Deliveries,
    DeliveryDispatcher,
  ],
})
export class WebhooksModule {}
