import { IsInt, IsString, Max, Min, MinLength } from 'class-validator';
import { readSettings, refuseDevelopmentCredentials, type CleaveConfig } from '@cleave/platform';

/** The gateway's own settings, from `CLEAVE_*` variables. */
export class GatewaySettings {
  /** How long a resolved access token is trusted without asking identity again; revocation clears it sooner. */
  @IsInt() @Min(0) @Max(300_000) CLEAVE_TOKEN_CACHE_MS = 30_000;
  /** Budget of one HTTP request, unless the caller asks for less with `Request-Timeout-Ms`. */
  @IsInt() @Min(1) @Max(600_000) CLEAVE_HTTP_TIMEOUT_MS = 5_000;
  /** The card network's credential (`Authorization: Bearer <secret>` on /network/*). Set one of your own. */
  @IsString() @MinLength(16) CLEAVE_NETWORK_SECRET = 'cleave-development-network-secret';
  /** The time an authorisation must be decided in, as card processors give issuers. */
  @IsInt() @Min(100) @Max(60_000) CLEAVE_AUTHORISATION_BUDGET_MS = 2_000;
  /**
   * Kept back from the budget for the gateway's own last step: when cards can't answer in time, recording
   * that the network was told "declined" before telling it.
   */
  @IsInt() @Min(50) @Max(5_000) CLEAVE_AUTHORISATION_RESERVE_MS = 250;
  /** The operators' credential (`Authorization: Bearer <secret>` on /admin/*). Set one of your own. */
  @IsString() @MinLength(16) CLEAVE_ADMIN_SECRET = 'cleave-development-admin-secret';
  /** API requests one access token may make per window (the card network and operators are not limited). */
  @IsInt() @Min(1) @Max(100_000) CLEAVE_RATE_LIMIT_PER_TOKEN = 1_000;
  /** API requests one client address may make per window, whatever tokens it sends (at most 100,000: each window's hits are kept). */
  @IsInt() @Min(1) @Max(100_000) CLEAVE_RATE_LIMIT_PER_ADDRESS = 10_000;
  @IsInt() @Min(1_000) @Max(3_600_000) CLEAVE_RATE_LIMIT_WINDOW_MS = 10_000;
  /** How often an open notification stream gets a keep-alive comment, so proxies don't close it. */
  @IsInt() @Min(1_000) @Max(300_000) CLEAVE_STREAM_KEEPALIVE_MS = 15_000;
  /** Most notifications a reconnecting stream is sent at once; a client that missed more comes back for the rest. */
  @IsInt() @Min(1) @Max(1_000) CLEAVE_STREAM_REPLAY_LIMIT = 500;
  /** Notification streams one account may hold open on a replica: each holds a connection for its token's life. */
  @IsInt() @Min(1) @Max(1_000) CLEAVE_STREAMS_PER_ACCOUNT = 10;
  /** ... and one customer across their accounts, which cost nothing to open. */
  @IsInt() @Min(1) @Max(10_000) CLEAVE_STREAMS_PER_CUSTOMER = 20;
  /** Notification streams a replica holds open in all; keep it well under the process's open-file limit. */
  @IsInt() @Min(1) @Max(1_000_000) CLEAVE_MAX_STREAMS = 5_000;
}

/** Reads the gateway's settings; its development credentials are refused in production and warned about elsewhere. */
export function readGatewaySettings(config: CleaveConfig): GatewaySettings {
  return refuseDevelopmentCredentials(
    readSettings(GatewaySettings, config.env),
    ['CLEAVE_NETWORK_SECRET', 'CLEAVE_ADMIN_SECRET'],
    config,
    'Gateway',
  );
}
