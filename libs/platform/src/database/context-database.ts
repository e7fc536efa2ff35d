import type { DataSource, EntityManager } from 'typeorm';

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

  constructor(
    readonly context: string,
    readonly dataSource: DataSource,
  ) {}

  get engine(): 'sqlite' | 'postgres' {
    return this.dataSource.options.type === 'postgres' ? 'postgres' : 'sqlite';
  }

  /** Runs `work` in one transaction; it commits when `work` resolves and rolls back when it throws. */
  async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    let manager: EntityManager | undefined;
    const run = (em: EntityManager) => {
      manager = em;
      return work(em);
    };
    const result = this.engine === 'postgres' ? await this.dataSource.transaction(run) : await this.serialised(() => this.dataSource.transaction(run));
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
    for (const key of [...new Set(keys)].sort()) await em.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`${this.context}:${key}`]);
  }

  /** Runs read-only `work` outside a transaction. */
  read<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.engine === 'postgres') return work(this.dataSource.manager);
    return this.serialised(() => work(this.dataSource.manager));
  }

  private serialised<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
