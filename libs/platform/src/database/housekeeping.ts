import { Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { IsInt, Max, Min } from 'class-validator';
import type { ContextDatabase } from './context-database';
import { sql, type Sql } from './sql';
import { PeriodicJob } from '../jobs/periodic-job';

/** How often housekeeping runs, and how long idempotency keys are honoured; from `CLEAVE_*` variables. */
export class HousekeepingSettings {
  /** How often each replica deletes what has outlived its keeping time. */
  @IsInt() @Min(1_000) @Max(86_400_000) CLEAVE_HOUSEKEEPING_MS = 60_000;
  /**
   * How long an idempotency key is honoured: 400 days, and never under 120. Cards' keys are what stop a
   * presentment or refund the network sends again from moving money twice, and schemes resend clearing and
   * refunds for months (chargeback windows run to 120 days), well past an authorisation's 7-day life.
   */
  @IsInt() @Min(120 * 24) @Max(5 * 366 * 24) CLEAVE_IDEMPOTENCY_RETENTION_HOURS = 400 * 24;
}

/** A table whose rows are deleted once their timestamp column is older than the keeping time. */
export interface PrunedTable {
  readonly table: string;
  /** The primary key's columns. */
  readonly key: readonly string[];
  /** An ISO-8601 timestamp column (with an index, so each batch finds its rows without a scan). */
  readonly column: string;
  /** How long a row is kept, in ms. */
  readonly keepMs: number;
}

/** Rows deleted per statement: each is short, so no lock is held long and replication never lags far behind. */
const PRUNE_BATCH = 500;

/**
 * Deletes a table's rows older than their keeping time, a bounded batch per statement (each its own
 * transaction) until none are left. Returns how many went. Rows newer than `now - keepMs` are never touched.
 */
export async function pruneTable(db: ContextDatabase, table: PrunedTable, now = Date.now(), batch = PRUNE_BATCH): Promise<number> {
  const statement = pruneStatement(table);
  const cutoff = new Date(now - table.keepMs).toISOString();
  let deleted = 0;
  for (;;) {
    const count = await db.run(undefined, statement, [cutoff, batch]);
    deleted += count;
    if (count < batch) return deleted;
  }
}

const statements = new Map<string, Sql>();
function pruneStatement({ table, key, column }: PrunedTable): Sql {
  const name = `prune.${table}`;
  let statement = statements.get(name);
  if (statement === undefined) {
    // A row value for a composite key (PostgreSQL, and SQLite since 3.15).
    const keys = key.length === 1 ? key[0]! : `(${key.join(', ')})`;
    statement = sql(name, `DELETE FROM ${table} WHERE ${keys} IN (SELECT ${key.join(', ')} FROM ${table} WHERE ${column} < ? LIMIT ?)`);
    statements.set(name, statement);
  }
  return statement;
}

/**
 * Prunes a context's tables on an unref'd timer, in every replica (deleting twice is harmless). Provide one
 * from a context's module: Nest starts it once the application is up and stops it before the databases close.
 */
export class Housekeeping implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log: Logger;
  private readonly job: PeriodicJob;

  constructor(
    readonly context: string,
    private readonly db: ContextDatabase,
    private readonly tables: readonly PrunedTable[],
    everyMs: number,
  ) {
    this.log = new Logger(`Housekeeping:${context}`);
    this.job = new PeriodicJob(`pruning ${context}`, everyMs, () => this.pruneAll(Date.now()), this.log);
  }

  onApplicationBootstrap(): void {
    this.job.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.job.stop();
  }

  /** One pass over every table, never two at once; a failure is logged and the next pass tries again. */
  prune(now = Date.now()): Promise<Record<string, number>> {
    return this.job.run(() => this.pruneAll(now));
  }

  private async pruneAll(now: number): Promise<Record<string, number>> {
    const deleted: Record<string, number> = {};
    for (const table of this.tables) {
      try {
        deleted[table.table] = await pruneTable(this.db, table, now);
      } catch (error) {
        this.log.warn(`pruning ${table.table} failed: ${(error as Error).message}`);
      }
    }
    return deleted;
  }
}
