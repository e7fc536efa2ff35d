import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { PlatformErrors, IdentityPatterns } from '@cleave/contracts';
import { CLIENT_REQUEST_ID, CleaveError, httpEntryOf, IDEMPOTENCY_KEY, MessageBus, rootContext, runWithContext, sha256Hex, type CallContext } from '@cleave/platform';
import { TokenCache } from '../auth/token-cache';
import { GatewaySettings } from '../gateway.settings';
import { PUBLIC_ROUTE } from './public.decorator';

/** What the gateway attaches to each request. */
export interface GatewayRequest extends FastifyRequest {
  cleave: CallContext;
  /** SHA-256 of the bearer token, once authenticated. */
  accessTokenHash?: string;
}

/**
 * Starts each request's call context (trace from `traceparent`, deadline, request id, idempotency key) and
 * authenticates its bearer token through identity, with a short cache. Every route but the public ones
 * needs a valid token.
 */
@Injectable()
export class RequestContextGuard implements CanActivate {
  constructor(
    private readonly bus: MessageBus,
    private readonly cache: TokenCache,
    private readonly reflector: Reflector,
    @Inject(GatewaySettings) private readonly settings: GatewaySettings,
  ) {}

  async canActivate(execution: ExecutionContext): Promise<boolean> {
    const request = execution.switchToHttp().getRequest<GatewayRequest>();
    request.cleave = this.rootContext(request);
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [execution.getHandler(), execution.getClass()])) return true;
    const header = request.headers.authorization;
    const match = header === undefined ? null : /^Bearer\s+(\S{20,200})$/i.exec(header);
    if (!match) {
      throw new CleaveError('unauthenticated', header === undefined ? 'an access token is required' : 'the Authorization header must be "Bearer <token>"', {
        reason: 'bad_access_token',
      });
    }
    const hash = sha256Hex(match[1]!);
    let user = this.cache.get(hash);
    if (user === undefined) {
      user = await runWithContext(request.cleave, () => this.bus.send(IdentityPatterns.Authenticate, { accessTokenHash: hash }));
      this.cache.set(hash, user);
    }
    request.accessTokenHash = hash;
    request.cleave = { ...request.cleave, principal: { kind: 'user', id: user.userId, clientId: user.clientId, scopes: user.scopes } };
    return true;
  }

  private rootContext(request: FastifyRequest): CallContext {
    const header = (name: string): string | undefined => {
      const value = request.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const requestId = header('x-request-id');
    if (requestId !== undefined && !CLIENT_REQUEST_ID.test(requestId)) throw CleaveError.of(PlatformErrors.badHeader, 'X-Request-Id must be 1-64 letters, digits or ._:-');
    const idempotencyKey = header('idempotency-key');
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw CleaveError.of(PlatformErrors.badHeader, 'Idempotency-Key must be 1-255 printable ASCII characters');
    }
    const asked = Number(header('request-timeout-ms'));
    const timeoutMs = Number.isInteger(asked) && asked > 0 ? Math.min(asked, this.settings.CLEAVE_HTTP_TIMEOUT_MS) : this.settings.CLEAVE_HTTP_TIMEOUT_MS;
    // The trace, span and request id the request came in with (see httpEntryOf), as its access line has them.
    const entry = httpEntryOf(request.raw);
    return rootContext({ span: entry, requestId: entry.requestId, idempotencyKey, timeoutMs }, this.settings.CLEAVE_HTTP_TIMEOUT_MS);
  }
}
