import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { CleaveError, httpEntryOf, rootContext } from '@cleave/platform';
import { GatewaySettings } from '../gateway.settings';
import type { GatewayRequest } from './request-context.guard';
import { SharedSecret } from './shared-secret';

/** The operators' routes (/admin/*): authenticated by the admin credential, never a customer's token. */
@Injectable()
export class AdminGuard implements CanActivate {
  private readonly secret: SharedSecret;

  constructor(@Inject(GatewaySettings) private readonly settings: GatewaySettings) {
    this.secret = new SharedSecret(settings.CLEAVE_ADMIN_SECRET);
  }

  canActivate(execution: ExecutionContext): boolean {
    const request = execution.switchToHttp().getRequest<GatewayRequest>();
    if (!this.secret.matches(request.headers.authorization)) {
      throw new CleaveError('unauthenticated', 'the admin credential is missing or wrong', { reason: 'bad_admin_credential' });
    }
    const entry = httpEntryOf(request.raw);
    request.cleave = rootContext(
      { span: entry, requestId: entry.requestId, timeoutMs: this.settings.CLEAVE_HTTP_TIMEOUT_MS, principal: { kind: 'client', id: 'operator', scopes: ['admin'] } },
      this.settings.CLEAVE_HTTP_TIMEOUT_MS,
    );
    return true;
  }
}
