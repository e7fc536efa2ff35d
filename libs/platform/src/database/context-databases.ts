import type { ContextDatabase } from './context-database';

/** The databases of the contexts hosted in this process, by context: for the outbox relays and dead letters. */
export class ContextDatabases {
  private readonly byContext = new Map<string, { db: ContextDatabase; events: boolean }>();

  register(context: string, db: ContextDatabase, events: boolean): void {
    this.byContext.set(context, { db, events });
  }

  get(context: string): ContextDatabase | undefined {
    return this.byContext.get(context)?.db;
  }

  /** Every hosted context's database. */
  all(): Array<[string, ContextDatabase]> {
    return [...this.byContext].map(([context, v]) => [context, v.db]);
  }

  /** The databases that keep an outbox. */
  withEvents(): Array<[string, ContextDatabase]> {
    return [...this.byContext].filter(([, v]) => v.events).map(([context, v]) => [context, v.db]);
  }
}
