import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { IdentityErrors, IdentityPatterns } from '@cleave/contracts';
import { CleaveError, MessageBus, runWithContext, sha256Hex } from '@cleave/platform';
import { TokenCache } from '../auth/token-cache';
import { PUBLIC_ROUTE } from './public.decorator';
import { RequestContexts, type GatewayRequest } from './request-contexts';

export type { GatewayRequest } from './request-contexts';

/**
 * Authenticates a customer's bearer token through identity, with a short cache. Every route but the public
 * ones needs a valid token.
 */
@Injectable()
export class RequestContextGuard implements CanActivate {
  constructor(
    private readonly bus: MessageBus,
    private readonly cache: TokenCache,
    private readonly reflector: Reflector,
    private readonly contexts: RequestContexts,
  ) {}

  async canActivate(execution: ExecutionContext): Promise<boolean> {
    const request = execution.switchToHttp().getRequest<GatewayRequest>();
    const context = this.contexts.of(execution);
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [execution.getHandler(), execution.getClass()])) return true;
    const header = request.headers.authorization;
    const match = header === undefined ? null : /^Bearer\s+(\S{20,200})$/i.exec(header);
    if (!match) {
      throw CleaveError.of(
        IdentityErrors.badAccessToken,
        header === undefined ? 'an access token is required' : 'the Authorization header must be "Bearer <token>"',
      );
    }
    const hash = sha256Hex(match[1]!);
    let user = this.cache.get(hash);
    if (user === undefined) {
      user = await runWithContext(context, () => this.bus.send(IdentityPatterns.Authenticate, { accessTokenHash: hash }));
      this.cache.set(hash, user);
    }
    request.accessTokenHash = hash;
    request.accessTokenExpiresAt = Date.parse(user.expiresAt);
    request.cleave = { ...context, principal: { kind: 'user', id: user.userId, clientId: user.clientId, scopes: user.scopes } };
    return true;
  }
}
