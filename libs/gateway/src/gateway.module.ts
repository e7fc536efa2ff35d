import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { CLEAVE_CONFIG, readSettings, type CleaveConfig } from '@cleave/platform';
import { TokenCache } from './auth/token-cache';
import { AccountsController } from './controllers/accounts.controller';
import { AdminController } from './controllers/admin.controller';
import { CardsController } from './controllers/cards.controller';
import { FeedController } from './controllers/feed.controller';
import { HealthController } from './controllers/health.controller';
import { IdentityController } from './controllers/identity.controller';
import { NetworkController } from './controllers/network.controller';
import { PotsController } from './controllers/pots.controller';
import { TransactionsController } from './controllers/transactions.controller';
import { WebhooksController } from './controllers/webhooks.controller';
import { GatewayHandlers } from './gateway.handlers';
import { GatewaySettings, readGatewaySettings } from './gateway.settings';
import { CallContextInterceptor } from './http/call-context.interceptor';
import { AdminGuard, NetworkGuard } from './http/client-credential.guard';
import { RequestContextGuard } from './http/request-context.guard';
import { RequestContexts } from './http/request-contexts';
import { NotificationHub } from './live/notification-hub';
import { UnrecordedAbandonments } from './live/unrecorded-abandonments';
import { ApiRateLimitGuard, apiRateLimits } from './http/api-rate-limit.guard';

/** The HTTP API: authenticates, validates, and turns each request into calls on the bus. */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      useFactory: (config: CleaveConfig) => apiRateLimits(readSettings(GatewaySettings, config.env)),
      inject: [CLEAVE_CONFIG],
    }),
  ],
  controllers: [
    IdentityController,
    AccountsController,
    PotsController,
    TransactionsController,
    CardsController,
    FeedController,
    WebhooksController,
    NetworkController,
    AdminController,
    HealthController,
    GatewayHandlers,
  ],
  providers: [
    { provide: GatewaySettings, useFactory: (config: CleaveConfig) => readGatewaySettings(config), inject: [CLEAVE_CONFIG] },
    TokenCache,
    RequestContexts,
    RequestContextGuard,
    NetworkGuard,
    AdminGuard,
    NotificationHub,
    UnrecordedAbandonments,
    CallContextInterceptor,
    ApiRateLimitGuard,
  ],
})
export class GatewayModule {}
