import { Controller } from '@nestjs/common';
import { IdentityEventNames, type TokenRevokedV1 } from '@cleave/contracts';
import { OnEvent } from '@cleave/platform';
import { TokenCache } from './auth/token-cache';

/** The gateway on the bus: every replica forgets a revoked token from its cache. */
@Controller()
export class GatewayHandlers {
  constructor(private readonly cache: TokenCache) {}

  @OnEvent(IdentityEventNames.TokenRevoked, { context: 'gateway', delivery: 'every-replica' })
  onTokenRevoked(event: TokenRevokedV1) {
    this.cache.invalidate(event.accessTokenHash);
  }
}
