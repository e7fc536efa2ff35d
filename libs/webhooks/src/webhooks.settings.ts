import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, Matches, Max, Min } from 'class-validator';

/** The webhooks context's own settings, from `CLEAVE_*` variables. */
export class WebhooksSettings {
  /**
   * Development only: lets webhooks point at loopback and private addresses (a receiver on your laptop).
   * Off, a URL that resolves to loopback, private, link-local or cloud-metadata addresses is refused.
   */
  @Transform(({ value }) => (value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value))
  @IsBoolean()
  CLEAVE_WEBHOOKS_ALLOW_PRIVATE = false;
  /** Tries per delivery before it is marked failed. */
  @IsInt() @Min(1) @Max(20) CLEAVE_WEBHOOK_MAX_ATTEMPTS = 8;
  /** Wait before the 2nd try; each later wait is 4× longer (±50% jitter), capped at an hour. */
  @IsInt() @Min(10) @Max(3_600_000) CLEAVE_WEBHOOK_BACKOFF_MS = 1_000;
  /** How long one try waits for the receiver's answer. */
  @IsInt() @Min(100) @Max(60_000) CLEAVE_WEBHOOK_TIMEOUT_MS = 5_000;
  /** Failed tries in a row, with no success between, after which a webhook is disabled ... */
  @IsInt() @Min(1) @Max(10_000) CLEAVE_WEBHOOK_DISABLE_AFTER = 50;
  /** ... once they have also gone on this long: a busy account runs up 50 failures in seconds of an outage. */
  @IsInt() @Min(0) @Max(30 * 24 * 3_600_000) CLEAVE_WEBHOOK_DISABLE_AFTER_MS = 24 * 3_600_000;
  /** How often each replica looks for due deliveries (a new event wakes it at once). */
  @IsInt() @Min(10) @Max(60_000) CLEAVE_WEBHOOK_POLL_MS = 250;
  /** Deliveries one replica has in flight at once (a try waiting on a receiver holds a socket, not a thread). */
  @IsInt() @Min(1) @Max(1_000) CLEAVE_WEBHOOK_CONCURRENCY = 64;
  /** Of those, at most this many for one account's webhooks ... */
  @IsInt() @Min(1) @Max(1_000) CLEAVE_WEBHOOK_CONCURRENCY_PER_ACCOUNT = 4;
  /** ... and this many for one customer's, across their accounts: accounts cost nothing to open. */
  @IsInt() @Min(1) @Max(1_000) CLEAVE_WEBHOOK_CONCURRENCY_PER_CUSTOMER = 8;
  /** Nameservers for webhook hosts (`ip` or `ip:port`, comma-separated); empty: the system's. */
  @Matches(/^\s*([0-9A-Fa-f:.[\]]+(\s*,\s*[0-9A-Fa-f:.[\]]+)*)?\s*$/, {
    message: 'CLEAVE_WEBHOOK_DNS_SERVERS must be addresses, comma-separated',
  })
  CLEAVE_WEBHOOK_DNS_SERVERS = '';
}

/** The nameservers a setting names, none for the system's. */
export function dnsServersOf(settings: WebhooksSettings): string[] {
  return settings.CLEAVE_WEBHOOK_DNS_SERVERS.split(',')
    .map((server) => server.trim())
    .filter((server) => server !== '');
}
