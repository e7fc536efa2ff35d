import { IsTimeZone } from 'class-validator';

/** The feed context's own settings, from `CLEAVE_*` variables. */
export class FeedSettings {
  /** The account holders' time zone: its midnight starts the day that "spent today" counts (IANA name). */
  @IsTimeZone() CLEAVE_TIMEZONE = 'Europe/London';
}
