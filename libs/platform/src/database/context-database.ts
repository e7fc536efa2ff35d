import type { DataSource, EntityManager } from 'typeorm';

/**
 * One context's database. Every read and write goes through it so the same code keeps the same
 * guarantees on both engines: on PostgreSQL a transaction is a real one on a pooled connection; on
 * SQLite, whose driver shares one connection, transactions and reads take turns so that no read sees
 * another call's uncommitted writes and no two transactions interleave.
 */
export class ContextDatabase {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly commitListeners: Array<() => void> = [];
  private readonly nextCommit: Array<() => void> = [];

  constructor(
    readonly context: string,
    readonly dataSource: DataSource,
  ) {}

  get engine(): 'sqlite' | 'postgres' {
    return this.dataSource.options.type === 'postgres' ? 'postgres' : 'sqlite';
  }

  /** Runs `work` in one transaction; it commits when `work` resolves and rolls back when it throws. */
  async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const result = this.engine === 'postgres' ? await this.dataSource.transaction(work) : await this.serialised(() => this.dataSource.transaction(work));
    this.committed();
    return result;
  }

  /** Calls `listener` after every commit (the outbox relay wakes up on it). */
  onCommit(listener: () => void): void {
    this.commitListeners.push(listener);
  }

  /** Calls `listener` once, after the next commit. */
  onNextCommit(listener: () => void): void {
    this.nextCommit.push(listener);
  }

  private committed(): void {
    for (const listener of this.nextCommit.splice(0)) listener();
    for (const listener of this.commitListeners) listener();
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
