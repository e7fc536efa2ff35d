import { AsyncLocalStorage } from 'node:async_hooks';
import { DataSource, type EntityManager } from 'typeorm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContextDatabase } from '../src/database/context-database';
import { sql } from '../src/database/sql';
import { sqlStatistics } from '../src/database/sql-statistics';

/** SQLite transactions that queue up together commit together, each keeping its own all-or-nothing. */
describe('group commit on SQLite', () => {
  let dataSource: DataSource;
  let db: ContextDatabase;
  let context: string;

  beforeEach(async () => {
    dataSource = new DataSource({ type: 'better-sqlite3', database: ':memory:' });
    await dataSource.initialize();
    await dataSource.query('CREATE TABLE rows (id TEXT PRIMARY KEY)');
    context = `group-${Math.random().toString(36).slice(2)}`;
    db = new ContextDatabase(context, dataSource);
  });
  afterEach(async () => {
    await dataSource.destroy();
  });

  const insert = (em: EntityManager, id: string) => em.query('INSERT INTO rows (id) VALUES (?)', [id]);
  const stored = async () => (await db.read((em) => em.query('SELECT id FROM rows ORDER BY id'))).map((r: { id: string }) => r.id);
  const counts = () => sqlStatistics()[context] ?? { statements: 0, transactions: 0, commits: 0 };

  it('commits transactions started together in one commit', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `r${String(i).padStart(2, '0')}`);
    await Promise.all(ids.map((id) => db.transaction((em) => insert(em, id))));
    expect(await stored()).toEqual(ids);
    expect(counts().transactions).toBe(10);
    expect(counts().commits).toBe(1);
  });

  it('commits a write made outside any transaction with the next group, not alone; a read takes its turn', async () => {
    const connection = (dataSource.driver as unknown as { databaseConnection: { inTransaction: boolean; function: Function } })
      .databaseConnection;
    // Whether the statement ran inside a transaction (a group's), as SQLite's autocommit flag says mid-statement.
    connection.function('in_transaction', () => (connection.inTransaction ? 1 : 0));
    await dataSource.query('CREATE TABLE writes (id TEXT PRIMARY KEY, grouped INTEGER NOT NULL)');
    const write = sql('test.write-alone', 'INSERT INTO writes (id, grouped) VALUES (?, in_transaction())');
    const ids = Array.from({ length: 10 }, (_, i) => `w${i}`);
    const outcomes = await Promise.allSettled([
      ...ids.map((id) => db.run(undefined, write, [id])),
      db.run(undefined, write, ['w0']),
      db.transaction((em) => insert(em, 'alongside')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual([...ids.map(() => 'fulfilled'), 'rejected', 'fulfilled']);
    expect(String((outcomes[10] as PromiseRejectedResult).reason)).toMatch(/UNIQUE/);
    const rows = await db.all<{ id: string; grouped: number }>(
      undefined,
      sql('test.writes', 'SELECT id, grouped FROM writes ORDER BY id'),
      [],
    );
    expect(rows).toEqual(ids.sort().map((id) => ({ id, grouped: 1 })));
    // One commit for all of them; only the real transaction counts as one.
    expect(counts().commits).toBe(1);
    expect(counts().transactions).toBe(1);
  });

  it('undoes only the transaction that failed, and rejects it alone with its own error', async () => {
    const outcomes = await Promise.allSettled([
      db.transaction((em) => insert(em, 'a')),
      db.transaction(async (em) => {
        await insert(em, 'b');
        throw new Error('b changed its mind');
      }),
      // A constraint violation midway: its first write goes too.
      db.transaction(async (em) => {
        await insert(em, 'c');
        await insert(em, 'a');
      }),
      db.transaction((em) => insert(em, 'd')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(((outcomes[1] as PromiseRejectedResult).reason as Error).message).toBe('b changed its mind');
    expect(String((outcomes[2] as PromiseRejectedResult).reason)).toMatch(/UNIQUE/);
    expect(await stored()).toEqual(['a', 'd']);
    expect(counts().commits).toBe(1);
  });

  it('runs after-commit work for the committed transactions only', async () => {
    const after: string[] = [];
    const signalled: string[] = [];
    db.onSignal('probe', () => signalled.push('probe'));
    await Promise.allSettled(
      ['x', 'y', 'z'].map((id) =>
        db.transaction(async (em) => {
          await insert(em, id);
          db.afterCommit(em, () => after.push(id));
          db.signalAfterCommit(em, 'probe');
          if (id === 'y') throw new Error('no y');
        }),
      ),
    );
    expect(after.sort()).toEqual(['x', 'z']);
    expect(signalled).toEqual(['probe', 'probe']);
  });

  it('answers a transaction only once the whole group has committed', async () => {
    const order: string[] = [];
    await Promise.all([
      db.transaction((em) => insert(em, 'first')).then(() => order.push('first answered')),
      db.transaction(async (em) => {
        order.push('second ran');
        await insert(em, 'second');
      }),
    ]);
    expect(order).toEqual(['second ran', 'first answered']);
  });

  it('runs each transaction in its caller’s async context', async () => {
    const caller = new AsyncLocalStorage<string>();
    const seen = await Promise.all(
      ['one', 'two', 'three'].map((name) => caller.run(name, () => db.transaction(async () => caller.getStore()))),
    );
    expect(seen).toEqual(['one', 'two', 'three']);
    expect(counts().commits).toBe(1);
  });

  it('rolls back and rejects the whole group when one transaction breaks the shared one', async () => {
    const after: string[] = [];
    const outcomes = await Promise.allSettled([
      db.transaction(async (em) => {
        await insert(em, 'kept-until-the-end');
        db.afterCommit(em, () => after.push('first'));
      }),
      db.transaction(async (em) => {
        // Ends the shared transaction under everyone's feet: its savepoint is gone with it.
        await em.query('ROLLBACK');
        throw new Error('broke it');
      }),
      db.transaction((em) => insert(em, 'never-ran-alone')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(((outcomes[1] as PromiseRejectedResult).reason as Error).message).toBe('broke it');
    expect(await stored()).toEqual([]);
    expect(after).toEqual([]);
    // And the database goes on serving.
    await db.transaction((em) => insert(em, 'later'));
    expect(await stored()).toEqual(['later']);
  });

  it('commits a transaction alone as a plain one, with no savepoint', async () => {
    const before = counts().statements;
    await db.transaction((em) => insert(em, 'solo'));
    expect(counts().statements - before).toBe(0);
    expect(counts().commits).toBe(1);
  });
});
