import { Inject, Injectable, Logger, type CanActivate, type ExecutionContext, type OnModuleInit } from '@nestjs/common';
import { CleaveError, rootContext } from '@cleave/platform';
import { DEVELOPMENT_ADMIN_SECRET, GatewaySettings } from '../gateway.settings';
import type { GatewayRequest } from './request-context.guard';
import { SharedSecret } from './shared-secret';

/** The operators' routes (/admin/*): authenticated by the admin credential, never a customer's token. */
const warned = new Set<unknown>();

@Injectable()
export class AdminGuard implements CanActivate, OnModuleInit {
  private readonly secret: SharedSecret;

  constructor(@Inject(GatewaySettings) private readonly settings: GatewaySettings) {
    this.secret = new SharedSecret(settings.CLEAVE_ADMIN_SECRET);
  }

  onModuleInit(): void {
    // Nest may build a guard more than once (provider and @UseGuards); one warning is enough.
    if (!warned.has(this.constructor) && this.settings.CLEAVE_ADMIN_SECRET === DEVELOPMENT_ADMIN_SECRET) {
      warned.add(this.constructor);
      new Logger('Gateway').warn('operators authenticate with the development secret: set CLEAVE_ADMIN_SECRET');
    }
  }

  canActivate(execution: ExecutionContext): boolean {
    const request = execution.switchToHttp().getRequest<GatewayRequest>();
    if (!this.secret.matches(request.headers.authorization)) {
      throw new CleaveError('unauthenticated', 'the admin credential is missing or wrong', { reason: 'bad_admin_credential' });
    }
    const traceparent = request.headers.traceparent;
    request.cleave = rootContext(
      { traceparent: Array.isArray(traceparent) ? traceparent[0] : traceparent, timeoutMs: this.settings.CLEAVE_HTTP_TIMEOUT_MS, principal: { kind: 'client', id: 'operator', scopes: ['admin'] } },
      this.settings.CLEAVE_HTTP_TIMEOUT_MS,
    );
    return true;
  }
}
