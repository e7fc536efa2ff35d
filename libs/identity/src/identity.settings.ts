import { IsInt, Max, Min } from 'class-validator';

/** The identity context's own settings, from `CLEAVE_*` variables. */
export class IdentitySettings {
  /** Lifetime of an access token (default 6 hours). */
  @IsInt() @Min(60) @Max(30 * 24 * 3600) CLEAVE_ACCESS_TOKEN_TTL_SECONDS = 6 * 3600;
  /** Lifetime of a refresh token (default 30 days). */
  @IsInt() @Min(60) @Max(365 * 24 * 3600) CLEAVE_REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 3600;
  /** Failed logins allowed per user within the window. */
  @IsInt() @Min(1) @Max(1000) CLEAVE_LOGIN_MAX_FAILURES_PER_USER = 5;
  /** Login attempts allowed per client address within the window. */
  @IsInt() @Min(1) @Max(100_000) CLEAVE_LOGIN_MAX_ATTEMPTS_PER_ADDRESS = 30;
  @IsInt() @Min(1) @Max(24 * 3600) CLEAVE_LOGIN_WINDOW_SECONDS = 15 * 60;
  /** log2 of scrypt's cost N (15 → 32 MiB, ~0.1 s a hash). */
  @IsInt() @Min(10) @Max(20) CLEAVE_PASSWORD_HASH_COST = 15;
  /** Passwords hashed at once (each takes most of a core for tens of milliseconds); logins go first. */
  @IsInt() @Min(1) @Max(64) CLEAVE_PASSWORD_HASH_CONCURRENCY = 2;
}
