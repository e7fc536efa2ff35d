import { Controller } from '@nestjs/common';
import { FeedEventNames, IdentityEventNames, type NotificationCreatedV1, type TokenRevokedV1 } from '@cleave/contracts';
import { OnEvent } from '@cleave/platform';
import { TokenCache } from './auth/token-cache';
import { NotificationHub } from './live/notification-hub';

/** The gateway on the bus: every replica forgets revoked tokens and forwards notifications to its open streams. */
@Controller()
export class GatewayHandlers {
  constructor(
    private readonly cache: TokenCache,
    private readonly hub: NotificationHub,
  ) {}

  @OnEvent(IdentityEventNames.TokenRevoked, { delivery: 'every-replica' })
  onTokenRevoked(event: TokenRevokedV1) {
    this.cache.invalidate(event.accessTokenHash);
  }

  @OnEvent(FeedEventNames.NotificationCreated, { delivery: 'every-replica' })
  onNotificationCreated(event: NotificationCreatedV1) {
    this.hub.publish(event.notification);
  }
}
