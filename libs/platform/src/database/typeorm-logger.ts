import { Logger } from '@nestjs/common';
import type { Logger as TypeOrmLogger } from 'typeorm';
import { sqlCountsOf, type SqlCounts } from './sql-statistics';

const TRANSACTION_CONTROL = /^\s*(BEGIN|COMMIT|ROLLBACK|START TRANSACTION|SAVEPOINT|RELEASE)\b/i;

/**
 * TypeORM's messages through the process's logger, so they are JSON lines like every other; its queries
 * are counted, not logged, and their errors reach the caller as exceptions (logging every expected
 * conflict twice would drown the log).
 */
export class TypeOrmPinoLogger implements TypeOrmLogger {
  private readonly nest: Logger;
  private readonly counts: SqlCounts;

  constructor(context: string) {
    this.nest = new Logger(`TypeORM:${context}`);
    this.counts = sqlCountsOf(context);
  }

  /** Counts the statement (transaction control aside): the cost guards read the counts. */
  logQuery(query: string): void {
    if (!TRANSACTION_CONTROL.test(query)) this.counts.statements++;
  }

  logQueryError(): void {}

  logQuerySlow(time: number, query: string): void {
    this.nest.warn(`slow query (${time} ms): ${query.slice(0, 500)}`);
  }

  /** A migration that ran is worth an operator's notice; the rest of schema building is not. */
  logSchemaBuild(message: string): void {
    if (/^Migration \S+ has been executed/.test(message)) this.nest.log(message);
    else this.nest.debug(message);
  }

  logMigration(message: string): void {
    this.nest.log(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.nest.warn(String(message));
    else this.nest.debug(String(message));
  }
}
