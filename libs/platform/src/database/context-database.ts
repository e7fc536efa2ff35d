import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import type { Pool, PoolClient } from 'pg';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, EntityManager } from 'typeorm';
import { sql, type Sql } from './sql';
import { sqlCountsOf, type SqlCounts } from './sql-statistics';
import { ATTR_DB_SYSTEM_NAME } from '@opentelemetry/semantic-conventions';
import { currentContext } from '../context/call-context';
import { activeTracer, endSpan, SpanKind, startSpan } from '../observability/tracing';
import { OverdueStatements } from './overdue-statements';
import { CleaveError } from '../errors/cleave-error';
import { connectionLost, isCancelled } from './errors';

const batches = new AsyncLocalStorage<{ readonly db: ContextDatabase; readonly em: EntityManager; open: boolean }>();

/** The most SQLite transactions that commit together: enough to share a commit's pages, few enough to keep the first one's wait short. */
const MOST_IN_A_GROUP = 32;

/** An SQLite transaction waiting for its group. */
interface Waiting {
  /** Starts the transaction's work with `em`; its callback was chained in the caller's async context (its call context, trace, batch), so it runs there, not in the group's. */
  readonly start: (em: EntityManager) => void;
  /** The work's result. */
  readonly done: Promise<unknown>;
  readonly resolve: (done: Committed) => void;
  readonly reject: (error: unknown) => void;
}

/** A committed transaction's result, and the manager it ran with (the key to its after-commit work). */
interface Committed {
  readonly value: unknown;
  readonly em: EntityManager;
}

type Outcome = (Committed & { readonly ok: true }) | { readonly ok: false; readonly error: unknown };

const savepoint = sql('transaction.savepoint', 'SAVEPOINT unit');
const releaseSavepoint = sql('transaction.release', 'RELEASE unit');
const rollbackToSavepoint = sql('transaction.rollback-to', 'ROLLBACK TO unit');

/**
 * One context's database. Every read and write goes through it so the same code keeps the same
 * guarantees on both engines: on PostgreSQL a transaction is a real one on a pooled connection; on
 * SQLite, whose driver shares one connection, transactions and reads take turns so that no read sees
 * another call's uncommitted writes and no two transactions interleave.
 *
 * On SQLite, transactions that queue up while one runs commit together (group commit): each runs in a
 * savepoint of one shared transaction, so a failing one undoes only its own writes, and each answers
 * only once the group has committed. A commit writes every page it changed to the WAL, and most of a
 * transaction's pages (the tails of the outbox and of time-ordered indexes, a busy balance) are the same
 * pages as its neighbours': a group writes them once.
 */
export class ContextDatabase {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly waiting: Waiting[] = [];
  private groupQueued = false;
  private readonly afterCommitOf = new WeakMap<EntityManager, Array<() => void>>();
  private readonly signalsOf = new WeakMap<EntityManager, Set<string>>();
  private readonly signalListeners = new Map<string, Array<() => void>>();

  private readonly counts: SqlCounts;
  private readonly prepared = new Map<string, Statement>();
  private readonly overdue: OverdueStatements | undefined;

  constructor(
    readonly context: string,
    readonly dataSource: DataSource,
  ) {
    this.counts = sqlCountsOf(context);
    const url = dataSource.options.type === 'postgres' ? dataSource.options.url : undefined;
    this.overdue = url === undefined ? undefined : new OverdueStatements(context, url);
    if (url !== undefined) keepListeningForLoss((dataSource.driver as unknown as { master?: Pool }).master);
  }

  /** Nest's shutdown hook: the connection that cancels overdue statements goes with the rest. */
  async onApplicationShutdown(): Promise<void> {
    await this.overdue?.close();
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
    const { value, em } = this.engine === 'postgres' ? await this.postgresTransaction(work).catch(this.lost) : await this.inGroup(work);
    const listeners = this.afterCommitOf.get(em) ?? [];
    const signals = this.signalsOf.get(em) ?? [];
    this.afterCommitOf.delete(em);
    this.signalsOf.delete(em);
    for (const listener of listeners) listener();
    for (const topic of signals) this.signal(topic);
    return value as T;
  }

  private async postgresTransaction(work: (manager: EntityManager) => Promise<unknown>): Promise<Committed> {
    let em: EntityManager | undefined;
    const deadline = currentContext()?.deadline;
    const value = await this.dataSource.transaction(async (manager) => {
      em = manager;
      if (deadline === undefined || this.overdue === undefined) return work(manager);
      // Past its call's deadline, whatever the transaction waits on (a row lock) is cancelled.
      const client = (await manager.queryRunner!.connect()) as PoolClient;
      return this.cancelledAt(deadline, client, 'transaction', () => work(manager));
    });
    this.counts.commits++;
    return { value, em: em! };
  }

  /** Queues an SQLite transaction for the next group; it settles once its group has committed or rolled back. */
  private inGroup(work: (manager: EntityManager) => Promise<unknown>): Promise<Committed> {
    let start!: (em: EntityManager) => void;
    const done = new Promise<EntityManager>((resolve) => (start = resolve)).then(work);
    return new Promise((resolve, reject) => {
      this.waiting.push({ start, done, resolve, reject });
      if (!this.groupQueued) {
        this.groupQueued = true;
        // After this turn's I/O: the transactions of every request read in this turn make one group.
        setImmediate(() => void this.serialised(() => this.commitGroup()));
      }
    });
  }

  /**
   * Runs the transactions waiting now as one: alone, as a plain transaction; together, each in a
   * savepoint. A transaction that throws is rolled back to its savepoint and rejected; if that can't be
   * done, or the commit fails, the whole group rolls back and every one of them is rejected.
   */
  private async commitGroup(): Promise<void> {
    const group = this.waiting.splice(0, MOST_IN_A_GROUP);
    this.groupQueued = this.waiting.length > 0;
    if (this.groupQueued) void this.serialised(() => this.commitGroup());
    const alone = group.length === 1;
    const outcomes: Outcome[] = [];
    try {
      await this.dataSource.transaction(async (shared) => {
        for (const unit of group) {
          const em = alone ? shared : this.dataSource.createEntityManager(shared.queryRunner);
          if (!alone) this.sqliteStatement(savepoint).run();
          try {
            unit.start(em);
            const value = await unit.done;
            if (!alone) this.sqliteStatement(releaseSavepoint).run();
            outcomes.push({ ok: true, value, em });
          } catch (error) {
            if (alone) throw error;
            outcomes.push({ ok: false, error });
            // This fails only if the shared transaction is gone, and then the whole group fails.
            this.sqliteStatement(rollbackToSavepoint).run();
            this.sqliteStatement(releaseSavepoint).run();
          }
        }
      });
    } catch (error) {
      group.forEach((unit, i) => {
        const own = outcomes[i];
        unit.reject(own !== undefined && !own.ok ? own.error : error);
      });
      return;
    }
    this.counts.commits++;
    group.forEach((unit, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) unit.resolve(outcome);
      else unit.reject(outcome.error);
    });
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
      const prepared = this.sqliteStatement(statement);
      const run = () => prepared.run(...sqliteValues(params)).changes;
      return em === undefined ? this.onItsOwn(prepared, run) : run();
    }
    return (await this.pgQuery(em, statement, params, currentContext()?.deadline)).rowCount ?? 0;
  }

  /** The first row a hot-path statement returns, if any (see {@link run}). */
  async get<T>(given: EntityManager | undefined, statement: Sql, params: readonly unknown[]): Promise<T | undefined> {
    const em = given ?? this.ambient();
    if (this.engine === 'sqlite') {
      const prepared = this.sqliteStatement(statement);
      const get = () => prepared.get(...sqliteValues(params)) as T | undefined;
      return em === undefined ? this.onItsOwn(prepared, get) : get();
    }
    return (await this.pgQuery(em, statement, params, currentContext()?.deadline)).rows[0] as T | undefined;
  }

  /** Every row a hot-path statement returns (see {@link run}). */
  async all<T>(given: EntityManager | undefined, statement: Sql, params: readonly unknown[]): Promise<T[]> {
    const em = given ?? this.ambient();
    if (this.engine === 'sqlite') {
      const prepared = this.sqliteStatement(statement);
      const all = () => prepared.all(...sqliteValues(params)) as T[];
      return em === undefined ? this.onItsOwn(prepared, all) : all();
    }
    return (await this.pgQuery(em, statement, params, currentContext()?.deadline)).rows as T[];
  }

  /**
   * An SQLite statement outside any transaction: a read takes its turn with the transactions; a write joins
   * the next group's commit (as a transaction would, uncounted as one) rather than committing alone, which
   * writes every page it changed to the log once more.
   */
  private async onItsOwn<T>(prepared: Statement, execute: () => T): Promise<T> {
    if (prepared.readonly) return this.serialised(async () => execute());
    return (await this.inGroup(async () => execute())).value as T;
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

  /**
   * Every row of a PostgreSQL statement run on its own for several calls at once ({@link CoalescedStatement}),
   * outside any of them: cancelled only once the last of their `deadline`s has passed.
   */
  async allOnBehalf<T>(deadline: number | undefined, statement: Sql, params: readonly unknown[]): Promise<T[]> {
    if (this.engine !== 'postgres') throw new Error(`${statement.name}: statements for several calls at once are PostgreSQL's`);
    return (await this.pgQuery(undefined, statement, params, deadline)).rows as T[];
  }

  private async pgQuery(em: EntityManager | undefined, statement: Sql, params: readonly unknown[], callDeadline: number | undefined) {
    return this.pgQueryNow(em, statement, params, callDeadline).catch(this.lost);
  }

  private async pgQueryNow(em: EntityManager | undefined, statement: Sql, params: readonly unknown[], callDeadline: number | undefined) {
    this.counts.statements++;
    const query = { name: statement.name, text: statement.postgres, values: params as unknown[] };
    const runner = em?.queryRunner;
    if (runner !== undefined && runner.isTransactionActive) return ((await runner.connect()) as PoolClient).query(query);
    const pool = (this.dataSource.driver as unknown as { master: Pool }).master;
    const deadline = this.overdue === undefined ? undefined : callDeadline;
    if (deadline === undefined) return pool.query(query);
    // A statement on its own is bound by its call's deadline as a transaction is (see postgresTransaction).
    // Lent, the client keeps the error listener every client of this pool has (keepListeningForLoss).
    const client = await pool.connect();
    let failure: unknown;
    try {
      return await this.cancelledAt(deadline, client, 'statement', () => client.query(query));
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      client.release(failure !== undefined && !fitToReuse(failure) ? (failure as Error) : undefined);
    }
  }

  /** A lost connection fails the call as `unavailable` (a 503 to retry), not as an internal error. */
  private readonly lost = (error: unknown): never => {
    if (!(error instanceof CleaveError) && connectionLost(error)) {
      throw CleaveError.unavailable(`the ${this.context} database connection was lost: ${(error as Error).message.slice(0, 200)}`);
    }
    throw error;
  };

  /**
   * Runs `work` on `client`, its statement cancelled if still running at `deadline` and then failed as
   * `timeout`. Settles only once a cancel sent has landed: until then the connection may not go back to
   * the pool, where the cancel could hit another caller's statement.
   */
  private async cancelledAt<T>(deadline: number, client: PoolClient, what: string, work: () => Promise<T>): Promise<T> {
    const backendPid = (client as PoolClient & { processID?: number }).processID;
    if (backendPid === undefined) return work();
    const unwatch = this.overdue!.watch(backendPid, deadline);
    try {
      return await work();
    } catch (error) {
      if (isCancelled(error)) throw CleaveError.timeout(`a ${this.context} ${what} was still waiting at its deadline, and was cancelled`);
      throw error;
    } finally {
      await unwatch();
    }
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
    if (this.engine === 'postgres') return work(this.dataSource.manager).catch(this.lost);
    return this.serialised(() => work(this.dataSource.manager));
  }

  private serialised<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/**
 * An error PostgreSQL answered on a working connection (an SQLSTATE, not FATAL: a constraint, a cancel)
 * leaves it fit to lend again; a FATAL one (a terminated backend), or one with no SQLSTATE, may not.
 */
function fitToReuse(error: unknown): boolean {
  const { code, severity } = error as { code?: unknown; severity?: unknown };
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && severity !== 'FATAL' && !connectionLost(error);
}

// better-sqlite3 binds no booleans: SQLite keeps them as 0 and 1, as TypeORM writes them.
function sqliteValues(params: readonly unknown[]): unknown[] {
  return params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
}

/**
 * pg-pool takes its error listener off a client it lends, and TypeORM's query runner takes its own off
 * before handing the client back: a connection lost in between (a backend terminated, the server
 * restarting), with no query running to fail, was an unhandled 'error' event, which ends the process (a CI
 * run saw it in the connection-loss test). Every client of the pool keeps a listener of its own; the loss
 * still fails the statement it was running, or the next one asked of it.
 */
function keepListeningForLoss(pool: Pool | undefined): void {
  if (pool === undefined) return;
  const listen = (client: PoolClient) => client.on('error', () => undefined);
  pool.on('connect', listen);
  for (const client of (pool as unknown as { _clients?: PoolClient[] })._clients ?? []) listen(client);
}
