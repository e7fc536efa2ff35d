import { IsInt, IsTimeZone, Max, Min } from 'class-validator';

/** The ledger's own settings, from `CLEAVE_*` variables. */
export class LedgerSettings {
  /** How long an authorisation hold lasts unposted before it expires (default 7 days, as card networks). */
  @IsInt() @Min(1) @Max(90 * 24 * 3600) CLEAVE_HOLD_EXPIRY_SECONDS = 7 * 24 * 3600;
  /** How often expired holds are released. */
  @IsInt() @Min(100) @Max(3_600_000) CLEAVE_HOLD_SWEEP_MS = 10_000;
  /** The time zone whose midnight starts "today" for spend_today. */
  @IsTimeZone() CLEAVE_TIMEZONE = 'Europe/London';
}
