import { Inject, Injectable, mixin, type CanActivate, type ExecutionContext, type Type } from '@nestjs/common';
import { GatewayErrors, type ErrorReason } from '@cleave/contracts';
import { CleaveError } from '@cleave/platform';
import { GatewaySettings } from '../gateway.settings';
import { RequestContexts, type GatewayRequest } from './request-contexts';
import { SharedSecret } from './shared-secret';

/** A machine client of the API: the secret it presents, who it acts as, and how a wrong secret is refused. */
interface ClientCredential {
  readonly secret: (settings: GatewaySettings) => string;
  readonly client: string;
  readonly scope: 'network' | 'admin';
  readonly refusal: ErrorReason;
  readonly refusalMessage: string;
}

/** A guard for a machine client's routes: authenticated by its own shared secret, never a customer's token. */
function clientCredentialGuard(credential: ClientCredential): Type<CanActivate> {
  @Injectable()
  class ClientCredentialGuard implements CanActivate {
    private readonly secret: SharedSecret;

    constructor(
      @Inject(GatewaySettings) settings: GatewaySettings,
      @Inject(RequestContexts) private readonly contexts: RequestContexts,
    ) {
      this.secret = new SharedSecret(credential.secret(settings));
    }

    canActivate(execution: ExecutionContext): boolean {
      const request = execution.switchToHttp().getRequest<GatewayRequest>();
      const context = this.contexts.of(execution);
      if (!this.secret.matches(request.headers.authorization)) throw CleaveError.of(credential.refusal, credential.refusalMessage);
      request.cleave = { ...context, principal: { kind: 'client', id: credential.client, scopes: [credential.scope] } };
      return true;
    }
  }
  return mixin(ClientCredentialGuard);
}

/** The card network's routes. */
export const NetworkGuard = clientCredentialGuard({
  secret: (settings) => settings.CLEAVE_NETWORK_SECRET,
  client: 'card-network',
  scope: 'network',
  refusal: GatewayErrors.badNetworkCredential,
  refusalMessage: 'the card network credential is missing or wrong',
});

/** The operators' routes (/admin/*). */
export const AdminGuard = clientCredentialGuard({
  secret: (settings) => settings.CLEAVE_ADMIN_SECRET,
  client: 'operator',
  scope: 'admin',
  refusal: GatewayErrors.badAdminCredential,
  refusalMessage: 'the admin credential is missing or wrong',
});
