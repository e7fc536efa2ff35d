import { Logger } from '@nestjs/common';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';

/** How often one subscription's failures are logged, at most. */
const LOG_EVERY_MS = 60_000;
const RESUBSCRIBE_FIRST_MS = 500;
const RESUBSCRIBE_MAX_MS = 15_000;
const STABLE_AFTER_MS = 30_000;

interface Entry {
  readonly subject: string;
  readonly queue?: string;
  readonly handle: (msg: Msg) => void;
  subscription?: Subscription;
  /** Why it is down, while it is. */
  broken?: string;
  lastLogged: number;
  suppressed: number;
  retryMs: number;
  timer?: NodeJS.Timeout;
}

/**
 * A process's core NATS subscriptions, each guarded. nats.js runs a subscription's callback inside the loop
 * that reads the connection, so a callback that throws stops the whole connection reading: here every
 * message's handling is caught, logged (once a minute per subject, with how many were suppressed) and
 * dropped, and the connection keeps serving. A subscription the server closes (a permissions violation,
 * say) is reported as down and made again with backoff; {@link problems} is what readiness reports.
 */
export class GuardedSubscriptions {
  private readonly entries: Entry[] = [];
  private stopped = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly log: Logger,
  ) {}

  /** Subscribes `handle` to `subject` (in `queue`'s group, if given). */
  add(subject: string, handle: (msg: Msg) => void, queue?: string): void {
    const entry: Entry = { subject, queue, handle, lastLogged: 0, suppressed: 0, retryMs: RESUBSCRIBE_FIRST_MS };
    this.entries.push(entry);
    this.open(entry);
  }

  /** What is wrong with the subscriptions: empty when every one is up. */
  problems(): string[] {
    return this.entries.filter((e) => e.broken !== undefined).map((e) => `subscription to ${e.subject} is down: ${e.broken}`);
  }

  /** Stops taking messages and lets those already received be handled. */
  async drain(): Promise<void> {
    this.stopped = true;
    const subscriptions = this.entries.map((e) => {
      clearTimeout(e.timer);
      return e.subscription;
    });
    this.entries.length = 0;
    if (this.nc.isClosed()) return;
    await Promise.all(subscriptions.flatMap((s) => (s === undefined ? [] : [s.drain().catch(() => undefined)])));
  }

  /** Unsubscribes at once. */
  close(): void {
    this.stopped = true;
    for (const e of this.entries) {
      clearTimeout(e.timer);
      if (!this.nc.isClosed()) e.subscription?.unsubscribe();
    }
    this.entries.length = 0;
  }

  private open(entry: Entry): void {
    let subscription: Subscription;
    try {
      subscription = this.nc.subscribe(entry.subject, {
        queue: entry.queue,
        callback: (error, msg) => {
          if (error) return; // closed with an error: reported through `closed` below
          try {
            entry.handle(msg);
          } catch (failure) {
            this.report(entry, failure);
          }
        },
      });
    } catch (error) {
      this.down(entry, (error as Error).message);
      return;
    }
    entry.subscription = subscription;
    entry.broken = undefined;
    // Up for a while: the next outage starts its backoff afresh.
    setTimeout(() => {
      if (entry.subscription === subscription && !subscription.isClosed()) entry.retryMs = RESUBSCRIBE_FIRST_MS;
    }, STABLE_AFTER_MS).unref();
    void subscription.closed.then((reason) => {
      if (this.stopped || this.nc.isClosed() || this.nc.isDraining() || entry.subscription !== subscription) return;
      this.down(entry, reason instanceof Error ? reason.message : 'closed by the server');
    });
  }

  private down(entry: Entry, why: string): void {
    entry.broken = why;
    entry.subscription = undefined;
    this.log.error(`subscription to ${entry.subject} is down (${why}); subscribing again in ${entry.retryMs} ms`);
    entry.timer = setTimeout(() => {
      if (this.stopped || this.nc.isClosed()) return;
      entry.retryMs = Math.min(RESUBSCRIBE_MAX_MS, entry.retryMs * 2);
      this.open(entry);
    }, entry.retryMs);
    entry.timer.unref();
  }

  private report(entry: Entry, failure: unknown): void {
    const now = Date.now();
    if (now - entry.lastLogged < LOG_EVERY_MS) {
      entry.suppressed++;
      return;
    }
    const more = entry.suppressed > 0 ? ` (${entry.suppressed} more since the last report)` : '';
    this.log.warn(
      `dropped a message on ${entry.subject} that could not be handled: ${(failure as Error)?.message ?? String(failure)}${more}`,
    );
    entry.lastLogged = now;
    entry.suppressed = 0;
  }
}
