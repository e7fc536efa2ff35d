import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { CleaveError } from '@cleave/platform';
import { GatewaySettings } from '../gateway.settings';
import { RequestContexts, type GatewayRequest } from './request-contexts';
import { SharedSecret } from './shared-secret';
import { GatewayErrors } from '@cleave/contracts';

/** The card network's routes: authenticated by its own credential, never a customer's token. */
@Injectable()
export class NetworkGuard implements CanActivate {
  private readonly secret: SharedSecret;

  constructor(
    @Inject(GatewaySettings) settings: GatewaySettings,
    private readonly contexts: RequestContexts,
  ) {
    this.secret = new SharedSecret(settings.CLEAVE_NETWORK_SECRET);
  }

  canActivate(execution: ExecutionContext): boolean {
    const request = execution.switchToHttp().getRequest<GatewayRequest>();
    const context = this.contexts.of(execution);
    if (!this.secret.matches(request.headers.authorization)) {
      throw CleaveError.of(GatewayErrors.badNetworkCredential, 'the card network credential is missing or wrong');
    }
    request.cleave = { ...context, principal: { kind: 'client', id: 'card-network', scopes: ['network'] } };
    return true;
  }
}
