import { Injectable, type ExecutionContext } from '@nestjs/common';
import { normalizeIp, ThrottlerGuard, type ThrottlerLimitDetail, type ThrottlerModuleOptions } from '@nestjs/throttler';
import { CleaveError, sha256Hex } from '@cleave/platform';
import type { GatewaySettings } from '../gateway.settings';
import { GatewayErrors } from '@cleave/contracts';

interface RequestLike {
  readonly ip?: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

/**
 * Two limits per window: one per access token (a customer's app), and a wider one per client address, which
 * covers requests without a token and a caller rotating made-up tokens. Kept in
 * each gateway replica's memory: with n replicas behind a balancer a client gets up to n times the limit.
 */
export function apiRateLimits(settings: GatewaySettings): ThrottlerModuleOptions {
  const ttl = settings.CLEAVE_RATE_LIMIT_WINDOW_MS;
  // An IPv6 client holds a whole /64: counted as one address, or it could step through 2^64 of them.
  const address = (req: RequestLike) => (req.ip === undefined ? 'unknown' : normalizeIp(req.ip));
  return {
    // One budget per token and per address across the whole API, not one per route.
    generateKey: (_context, tracker, name) => `${name}:${tracker}`,
    throttlers: [
      {
        name: 'token',
        ttl,
        limit: settings.CLEAVE_RATE_LIMIT_PER_TOKEN,
        skipIf: (context) => bearerToken(context.switchToHttp().getRequest<RequestLike>()) === undefined,
        getTracker: (req: Record<string, unknown>) => sha256Hex(bearerToken(req as unknown as RequestLike) ?? ''),
      },
      {
        name: 'address',
        ttl,
        limit: settings.CLEAVE_RATE_LIMIT_PER_ADDRESS,
        getTracker: (req: Record<string, unknown>) => address(req as unknown as RequestLike),
      },
    ],
  };
}

/** The token as authentication reads it, so `bearer X` and `Bearer  X` share one budget. */
function bearerToken(req: RequestLike): string | undefined {
  const header = req.headers.authorization;
  return typeof header === 'string' ? /^Bearer\s+(\S{20,200})$/i.exec(header)?.[1] : undefined;
}

/** The API's rate limit, answering 429 in Monzo's shape with when to come back. */
@Injectable()
export class ApiRateLimitGuard extends ThrottlerGuard {
  protected override throwThrottlingException(_context: ExecutionContext, limit: ThrottlerLimitDetail): Promise<void> {
    const retryAfterSeconds = Math.max(1, Math.ceil((limit.timeToBlockExpire || limit.timeToExpire) / 1_000));
    throw CleaveError.of(
      GatewayErrors.rateLimitExceeded,
      `more than ${limit.limit} requests in ${limit.ttl / 1_000} s; retry after ${retryAfterSeconds} s`,
      {
        retryAfterSeconds,
      },
    );
  }
}
