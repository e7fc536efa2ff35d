import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Logger, type CanActivate, type ExecutionContext, type OnModuleInit } from '@nestjs/common';
import { CleaveError, rootContext } from '@cleave/platform';
import { DEVELOPMENT_NETWORK_SECRET, GatewaySettings } from '../gateway.settings';
import type { GatewayRequest } from './request-context.guard';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * The card network's routes: authenticated by its own credential, never a customer's token. Authorisations
 * get the decision budget card processors give issuers (2 s by default) as their deadline.
 */
@Injectable()
export class NetworkGuard implements CanActivate, OnModuleInit {
  private readonly secret: Buffer;

  constructor(@Inject(GatewaySettings) private readonly settings: GatewaySettings) {
    this.secret = digest(settings.CLEAVE_NETWORK_SECRET);
  }

  onModuleInit(): void {
    if (this.settings.CLEAVE_NETWORK_SECRET === DEVELOPMENT_NETWORK_SECRET) {
      new Logger('Gateway').warn('the card network authenticates with the development secret: set CLEAVE_NETWORK_SECRET');
    }
  }

  canActivate(execution: ExecutionContext): boolean {
    const request = execution.switchToHttp().getRequest<GatewayRequest>();
    const match = /^Bearer\s+(\S{1,500})$/i.exec(request.headers.authorization ?? '');
    // Compared as digests, in constant time: no length or prefix leaks through timing.
    if (!match || !timingSafeEqual(digest(match[1]!), this.secret)) {
      throw new CleaveError('unauthenticated', 'the card network credential is missing or wrong', { reason: 'bad_network_credential' });
    }
    const budget = request.url.startsWith('/network/authorisations') ? this.settings.CLEAVE_AUTHORISATION_BUDGET_MS : this.settings.CLEAVE_HTTP_TIMEOUT_MS;
    const traceparent = request.headers.traceparent;
    request.cleave = rootContext(
      { traceparent: Array.isArray(traceparent) ? traceparent[0] : traceparent, timeoutMs: budget, principal: { kind: 'client', id: 'card-network', scopes: ['network'] } },
      budget,
    );
    return true;
  }
}
