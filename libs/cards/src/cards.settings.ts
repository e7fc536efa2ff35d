import { IsInt, IsString, IsTimeZone, Matches, Max, Min, MinLength } from 'class-validator';

/** The cards context's own settings, from `CLEAVE_*` variables. */
export class CardsSettings {
  /** The issuer's BIN: the first six digits of every card number. */
  @Matches(/^\d{6}$/) CLEAVE_CARD_BIN = '535522';
  /** Key of the HMAC that card numbers are stored as. Set a secret of your own in production. */
  @IsString() @MinLength(16) CLEAVE_CARD_PAN_KEY = 'cleave-development-pan-key-change-me';
  /** How long an authorisation that is never presented holds its money (default 7 days). */
  @IsInt() @Min(1) @Max(90 * 24 * 3600) CLEAVE_AUTHORISATION_EXPIRY_SECONDS = 7 * 24 * 3600;
  /** Held back from the decision's deadline, so an approval never lands after the network gave up. */
  @IsInt() @Min(0) @Max(2_000) CLEAVE_AUTHORISATION_MARGIN_MS = 100;
  /** How often unfinished follow-ups (voiding an abandoned hold, recording a decline) are retried. */
  @IsInt() @Min(50) @Max(600_000) CLEAVE_CARD_FOLLOWUP_MS = 2_000;
  /** The time zone whose midnight starts a card's spending day. */
  @IsTimeZone() CLEAVE_TIMEZONE = 'Europe/London';
}
