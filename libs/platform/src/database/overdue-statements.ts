import { Logger } from '@nestjs/common';
import pg from 'pg';

interface Watched {
  readonly backendPid: number;
  readonly deadline: number;
  cancelled?: Promise<void>;
}

const SWEEP_INTERVAL_MS = 10;

/**
 * Cancels the statement a PostgreSQL transaction is running once its call's deadline has passed. A
 * transaction queued on a row lock (a burst of payments on one account, a long statement elsewhere) would
 * otherwise keep its pooled connection long after its caller was answered, and enough of them take every
 * connection from the calls that have nothing to do with that row. The cancel goes over a connection of
 * its own, opened only when needed: the pool may have none to spare.
 *
 * Costs nothing on a statement that finishes in time but a set entry; one sweep timer serves every
 * transaction, as for calls waiting for replies.
 */
export class OverdueStatements {
  private readonly log: Logger;
  private readonly watched = new Set<Watched>();
  private timer: NodeJS.Timeout | undefined;
  private canceller: pg.Pool | undefined;

  constructor(
    private readonly context: string,
    private readonly url: string,
  ) {
    this.log = new Logger(`${context} database`);
  }

  /**
   * Watches the transaction on `backendPid` until the returned function is called, which waits for a
   * cancel already sent: the connection must not go back to the pool (and to another caller) while a
   * cancel meant for this transaction may still land on it.
   */
  watch(backendPid: number, deadline: number): () => Promise<void> {
    const entry: Watched = { backendPid, deadline };
    this.watched.add(entry);
    this.timer ??= setInterval(() => this.sweep(), SWEEP_INTERVAL_MS).unref();
    return () => {
      this.watched.delete(entry);
      return entry.cancelled ?? Promise.resolve();
    };
  }

  async close(): Promise<void> {
    this.stop();
    const canceller = this.canceller;
    this.canceller = undefined;
    await canceller?.end();
  }

  private sweep(): void {
    if (this.watched.size === 0) {
      this.stop();
      return;
    }
    const now = Date.now();
    for (const entry of this.watched) if (entry.cancelled === undefined && entry.deadline <= now) entry.cancelled = this.cancel(entry);
  }

  private async cancel(entry: Watched): Promise<void> {
    if (this.canceller === undefined) {
      this.canceller = new pg.Pool({
        connectionString: this.url,
        max: 1,
        // A cancel that can't be sent within a second is given up: the transaction waits for it.
        connectionTimeoutMillis: 1_000,
        query_timeout: 1_000,
        idleTimeoutMillis: 5_000,
        allowExitOnIdle: true,
        application_name: `cleave-${this.context}-canceller`,
      });
      // An idle connection the server drops is reported on the pool: unheard, that 'error' would end the process.
      this.canceller.on('error', (error) => this.log.warn(`the ${this.context} canceller's connection was lost: ${error.message}`));
    }
    try {
      await this.canceller.query('SELECT pg_cancel_backend($1)', [entry.backendPid]);
    } catch (error) {
      this.log.warn(`could not cancel an overdue statement (backend ${entry.backendPid}): ${(error as Error).message}`);
    }
  }

  private stop(): void {
    if (this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
