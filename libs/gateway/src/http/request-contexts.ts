import { Inject, Injectable, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { PlatformErrors } from '@cleave/contracts';
import { CLIENT_REQUEST_ID, CleaveError, httpEntryOf, IDEMPOTENCY_KEY, rootContext, type CallContext } from '@cleave/platform';
import { GatewaySettings } from '../gateway.settings';

/** What the gateway attaches to each request. */
export interface GatewayRequest extends FastifyRequest {
  cleave: CallContext;
  /** SHA-256 of the bearer token, once authenticated. */
  accessTokenHash?: string;
  /** When that token expires (epoch ms). */
  accessTokenExpiresAt?: number;
}

const AUTHORISATION_BUDGET = Symbol('cleave:authorisation-budget');

/**
 * A route deciding a card authorisation: its deadline is the decision budget card processors give issuers
 * (`CLEAVE_AUTHORISATION_BUDGET_MS`, 2 s), not the API's.
 */
export const AuthorisationBudget = () => SetMetadata(AUTHORISATION_BUDGET, true);

/**
 * Builds each request's call context, once, the same way for every caller (customers, the card network,
 * operators, the public routes): trace and request id as the request came in, Idempotency-Key, and a
 * deadline of the route's budget, shortened by Request-Timeout-Ms. Guards only add who is calling.
 */
@Injectable()
export class RequestContexts {
  constructor(
    private readonly reflector: Reflector,
    @Inject(GatewaySettings) private readonly settings: GatewaySettings,
  ) {}

  of(execution: ExecutionContext): CallContext {
    const request = execution.switchToHttp().getRequest<GatewayRequest>();
    return (request.cleave ??= this.build(request, this.budgetOf(execution)));
  }

  private budgetOf(execution: ExecutionContext): number {
    const authorises = this.reflector.getAllAndOverride<boolean>(AUTHORISATION_BUDGET, [execution.getHandler(), execution.getClass()]);
    return authorises ? this.settings.CLEAVE_AUTHORISATION_BUDGET_MS : this.settings.CLEAVE_HTTP_TIMEOUT_MS;
  }

  private build(request: FastifyRequest, budgetMs: number): CallContext {
    const header = (name: string): string | undefined => {
      const value = request.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const requestId = header('x-request-id');
    if (requestId !== undefined && !CLIENT_REQUEST_ID.test(requestId))
      throw badHeader('x-request-id', 'X-Request-Id must be 1-64 letters, digits or ._:-');
    const idempotencyKey = header('idempotency-key');
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw badHeader('idempotency-key', 'Idempotency-Key must be 1-255 printable ASCII characters, without spaces');
    }
    const askedHeader = header('request-timeout-ms');
    if (askedHeader !== undefined && !/^[1-9][0-9]{0,8}$/.test(askedHeader))
      throw badHeader('request-timeout-ms', 'Request-Timeout-Ms must be a whole number of milliseconds, at least 1');
    const timeoutMs = askedHeader === undefined ? budgetMs : Math.min(Number(askedHeader), budgetMs);
    // The trace, span and request id the request came in with (see httpEntryOf), as its access line has them.
    const entry = httpEntryOf(request.raw);
    return rootContext({ span: entry, requestId: entry.requestId, idempotencyKey, timeoutMs }, budgetMs);
  }
}

/** A refused header, named as a refused field is, so a client can tell which. */
function badHeader(field: string, message: string): CleaveError {
  return CleaveError.ofField(PlatformErrors.badHeader, { field, rule: 'matches', message });
}
