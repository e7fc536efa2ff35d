import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { CleaveError, httpEntryOf, rootContext } from '@cleave/platform';
import { GatewaySettings } from '../gateway.settings';
import type { GatewayRequest } from './request-context.guard';
import { SharedSecret } from './shared-secret';

/**
 * The card network's routes: authenticated by its own credential, never a customer's token. Authorisations
 * get the decision budget card processors give issuers (2 s by default) as their deadline.
 */
@Injectable()
export class NetworkGuard implements CanActivate {
  private readonly secret: SharedSecret;

  constructor(@Inject(GatewaySettings) private readonly settings: GatewaySettings) {
    this.secret = new SharedSecret(settings.CLEAVE_NETWORK_SECRET);
  }

  canActivate(execution: ExecutionContext): boolean {
    const request = execution.switchToHttp().getRequest<GatewayRequest>();
    if (!this.secret.matches(request.headers.authorization)) {
      throw new CleaveError('unauthenticated', 'the card network credential is missing or wrong', { reason: 'bad_network_credential' });
    }
    const budget = request.url.startsWith('/network/authorisations') ? this.settings.CLEAVE_AUTHORISATION_BUDGET_MS : this.settings.CLEAVE_HTTP_TIMEOUT_MS;
    const entry = httpEntryOf(request.raw);
    request.cleave = rootContext(
      { span: entry, requestId: entry.requestId, timeoutMs: budget, principal: { kind: 'client', id: 'card-network', scopes: ['network'] } },
      budget,
    );
    return true;
  }
}
