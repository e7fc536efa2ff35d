import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import type { Pool, PoolClient } from 'pg';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, EntityManager } from 'typeorm';
import type { Sql } from './sql';
import { sqlCountsOf, type SqlCounts } from './sql-statistics';
import { ATTR_DB_SYSTEM_NAME } from '@opentelemetry/semantic-conventions';
import { currentContext } from '../context/call-context';
import { activeTracer, endSpan, SpanKind, startSpan } from '../observability/tracing';

const batches = new AsyncLocalStorage<{ readonly db: ContextDatabase; readonly em: EntityManager; open: boolean }>();

/**
 * One context's database. Every read and write goes through it so the same code keeps the same
 * guarantees on both engines: on PostgreSQL a transaction is a real one on a pooled connection; on
 * SQLite, whose driver shares one connection, transactions and reads take turns so that no read sees
 * another call's uncommitted writes and no two transactions interleave.
 */
export class ContextDatabase {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly afterCommitOf = new WeakMap<EntityManager, Array<() => void>>();
  private readonly signalsOf = new WeakMap<EntityManager, Set<string>>();
  private readonly signalListeners = new Map<string, Array<() => void>>();

  private readonly counts: SqlCounts;
  private readonly prepared = new Map<string, Statement>();

  constructor(
    readonly context: string,
    readonly dataSource: DataSource,
  ) {
    this.counts = sqlCountsOf(context);
  }

  get engine(): 'sqlite' | 'postgres' {
    return this.dataSource.options.type === 'postgres' ? 'postgres' : 'sqlite';
  }

  /**
   * Runs `work` in one transaction; it commits when `work` resolves and rolls back when it throws. Inside
   * a {@link batch} of this database, it joins the batch's transaction instead.
   */
  async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const joined = this.ambient();
    if (joined !== undefined) return work(joined);
    const tracer = activeTracer();
    // Only inside a call: background work (pruning, sweeps) would make a trace of one span each time.
    const call = tracer === undefined ? undefined : currentContext();
    if (call === undefined) return this.transactionNow(work);
    const span = startSpan(tracer!, `${this.context} transaction`, SpanKind.INTERNAL, call, {
      [ATTR_DB_SYSTEM_NAME]: this.engine === 'postgres' ? 'postgresql' : 'sqlite',
      'db.namespace': this.context,
    });
    try {
      const result = await this.transactionNow(work);
      span.end();
      return result;
    } catch (error) {
      endSpan(span, error);
      throw error;
    }
  }

  private async transactionNow<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    this.counts.transactions++;
    let manager: EntityManager | undefined;
    const run = (em: EntityManager) => {
      manager = em;
      return work(em);
    };
    const result =
      this.engine === 'postgres' ? await this.dataSource.transaction(run) : await this.serialised(() => this.dataSource.transaction(run));
    if (manager) {
      const listeners = this.afterCommitOf.get(manager) ?? [];
      const signals = this.signalsOf.get(manager) ?? [];
      this.afterCommitOf.delete(manager);
      this.signalsOf.delete(manager);
      for (const listener of listeners) listener();
      for (const topic of signals) this.signal(topic);
    }
    return result;
  }

  /** Calls `listener` once the transaction `em` belongs to has committed; never if it rolls back. */
  afterCommit(em: EntityManager, listener: () => void): void {
    const listeners = this.afterCommitOf.get(em);
    if (listeners) listeners.push(listener);
    else this.afterCommitOf.set(em, [listener]);
  }

  /** Signals `topic` once the transaction `em` belongs to has committed: once, however often it is asked. */
  signalAfterCommit(em: EntityManager, topic: string): void {
    const signals = this.signalsOf.get(em);
    if (signals) signals.add(topic);
    else this.signalsOf.set(em, new Set([topic]));
  }

  /** Tells whoever listens for `topic` that there is work (e.g. the outbox relay: new events committed). */
  signal(topic: string): void {
    for (const listener of this.signalListeners.get(topic) ?? []) listener();
  }

  onSignal(topic: string, listener: () => void): void {
    const listeners = this.signalListeners.get(topic);
    if (listeners) listeners.push(listener);
    else this.signalListeners.set(topic, [listener]);
  }

  /**
   * Serialises the transactions that lock the same keys until they end: PostgreSQL's transaction-scoped
   * advisory locks, in a fixed order so two callers can't deadlock. In one process SQLite's transactions
   * already take turns (replicas sharing one SQLite file are for development only).
   * For check-then-write rules (a rate limit counted and recorded) that no single row can guard.
   */
  async lockKeys(em: EntityManager, keys: readonly string[]): Promise<void> {
    if (this.engine !== 'postgres') return;
    for (const key of [...new Set(keys)].sort())
      await em.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`${this.context}:${key}`]);
  }

  /**
   * Runs a hot-path statement through the driver: in `em`'s transaction, or (`em` undefined) on its own,
   * serialised with the transactions on SQLite like {@link read}. Returns the rows changed.
   */
  async run(given: EntityManager | undefined, statement: Sql, params: readonly unknown[]): Promise<number> {
    const em = given ?? this.ambient();
    if (this.engine === 'sqlite') {
      const run = () => this.sqliteStatement(statement).run(...sqliteValues(params)).changes;
      return em === undefined ? this.serialised(async () => run()) : run();
    }
    return (await this.pgQuery(em, statement, params)).rowCount ?? 0;
  }

  /** The first row a hot-path statement returns, if any (see {@link run}). */
  async get<T>(given: EntityManager | undefined, statement: Sql, params: readonly unknown[]): Promise<T | undefined> {
    const em = given ?? this.ambient();
    if (this.engine === 'sqlite') {
      const get = () => this.sqliteStatement(statement).get(...sqliteValues(params)) as T | undefined;
      return em === undefined ? this.serialised(async () => get()) : get();
    }
    return (await this.pgQuery(em, statement, params)).rows[0] as T | undefined;
  }

  /** Every row a hot-path statement returns (see {@link run}). */
  async all<T>(given: EntityManager | undefined, statement: Sql, params: readonly unknown[]): Promise<T[]> {
    const em = given ?? this.ambient();
    if (this.engine === 'sqlite') {
      const all = () => this.sqliteStatement(statement).all(...sqliteValues(params)) as T[];
      return em === undefined ? this.serialised(async () => all()) : all();
    }
    return (await this.pgQuery(em, statement, params)).rows as T[];
  }

  private sqliteStatement(statement: Sql): Statement {
    this.counts.statements++;
    let prepared = this.prepared.get(statement.name);
    if (prepared === undefined) {
      // One connection under TypeORM, shared by its transactions: the statement runs in whichever is open.
      const connection = (this.dataSource.driver as unknown as { databaseConnection: SqliteDatabase }).databaseConnection;
      this.prepared.set(statement.name, (prepared = connection.prepare(statement.sqlite)));
    }
    return prepared;
  }

  private async pgQuery(em: EntityManager | undefined, statement: Sql, params: readonly unknown[]) {
    this.counts.statements++;
    const query = { name: statement.name, text: statement.postgres, values: params as unknown[] };
    const runner = em?.queryRunner;
    if (runner !== undefined && runner.isTransactionActive) return ((await runner.connect()) as PoolClient).query(query);
    return (this.dataSource.driver as unknown as { master: Pool }).master.query(query);
  }

  /**
   * Runs `work` with every transaction and read of this database inside it joined into one transaction:
   * a batch of event handlers commits once instead of once each. All or nothing: if `work` throws, nothing
   * of the batch stays.
   */
  batch<T>(work: () => Promise<T>): Promise<T> {
    return this.transaction((em) => {
      const scope = { db: this, em, open: true };
      return batches.run(scope, async () => {
        try {
          return await work();
        } finally {
          // Work the batch set off for later (a timer, setImmediate) must not join a committed transaction.
          scope.open = false;
        }
      });
    });
  }

  /** The batch transaction this call runs in, when it runs in one of this database's. */
  private ambient(): EntityManager | undefined {
    const scope = batches.getStore();
    return scope !== undefined && scope.open && scope.db === this ? scope.em : undefined;
  }

  /** Runs read-only `work` outside a transaction. */
  read<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const joined = this.ambient();
    if (joined !== undefined) return work(joined);
    if (this.engine === 'postgres') return work(this.dataSource.manager);
    return this.serialised(() => work(this.dataSource.manager));
  }

  private serialised<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

// better-sqlite3 binds no booleans: SQLite keeps them as 0 and 1, as TypeORM writes them.
function sqliteValues(params: readonly unknown[]): unknown[] {
  return params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
}
