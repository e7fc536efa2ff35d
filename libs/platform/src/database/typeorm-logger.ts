import { Logger } from '@nestjs/common';
import type { Logger as TypeOrmLogger } from 'typeorm';

/**
 * TypeORM's messages through the process's logger, so they are JSON lines like every other. Queries and
 * their errors are not logged here: errors reach the caller as exceptions, and logging every expected
 * conflict twice would drown the log.
 */
export class TypeOrmPinoLogger implements TypeOrmLogger {
  private readonly nest: Logger;

  constructor(context: string) {
    this.nest = new Logger(`TypeORM:${context}`);
  }

  logQuery(): void {}

  logQueryError(): void {}

  logQuerySlow(time: number, query: string): void {
    this.nest.warn(`slow query (${time} ms): ${query.slice(0, 500)}`);
  }

  logSchemaBuild(message: string): void {
    this.nest.debug(message);
  }

  logMigration(message: string): void {
    this.nest.log(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.nest.warn(String(message));
    else this.nest.debug(String(message));
  }
}
