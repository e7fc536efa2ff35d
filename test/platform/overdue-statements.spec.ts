import { createServer, type Socket } from 'node:net';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDatabase } from '../support/postgres';
import { rootContext, runWithContext } from '../../libs/platform/src/context/call-context';
import { ContextDatabase } from '../../libs/platform/src/database/context-database';
import { OverdueStatements } from '../../libs/platform/src/database/overdue-statements';
import { sql } from '../../libs/platform/src/database/sql';
import { CleaveError } from '../../libs/platform/src/errors/cleave-error';

const bump = sql('probe.bump', 'UPDATE probe_rows SET n = n + 1 WHERE id = ?');

/**
 * A PostgreSQL transaction stuck on a locked row past its call's deadline gives its connection back: its
 * statement is cancelled and the call fails as `timeout`, so transactions queued on one hot row can't take
 * a pool every other call needs.
 */
describe('transactions past their deadline, on PostgreSQL', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let db: ContextDatabase;
  let locker: pg.Client;

  beforeAll(async () => {
    database = await TestDatabase.create();
    dataSource = new DataSource({ type: 'postgres', url: database.url, extra: { max: 3 } });
    await dataSource.initialize();
    await dataSource.query('CREATE TABLE probe_rows (id text PRIMARY KEY, n int NOT NULL)');
    await dataSource.query(`INSERT INTO probe_rows VALUES ('hot', 0), ('cold', 0)`);
    db = new ContextDatabase('probe', dataSource);
    locker = new pg.Client({ connectionString: database.url });
    await locker.connect();
  });
  afterAll(async () => {
    await locker?.end();
    await db?.onApplicationShutdown();
    await dataSource?.destroy();
    await database?.drop();
  });

  const bumpWithin = (id: string, budgetMs: number) =>
    runWithContext(rootContext({ timeoutMs: budgetMs }, budgetMs), () => db.transaction((em) => db.run(em, bump, [id])));

  it('cancels what waits on a lock at the deadline, and the pool serves other rows meanwhile', async () => {
    await locker.query('BEGIN');
    await locker.query(`SELECT n FROM probe_rows WHERE id = 'hot' FOR UPDATE`);
    try {
      // More waiters than the pool has connections.
      const started = Date.now();
      const stuck = await Promise.allSettled(Array.from({ length: 5 }, () => bumpWithin('hot', 300)));
      expect(stuck.map((s) => (s.status === 'rejected' ? (s.reason as CleaveError).code : 'done'))).toEqual(Array(5).fill('timeout'));
      // Each was cancelled at its deadline (a sweep and a cancel later), not when the lock went.
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(await bumpWithin('cold', 1_000)).toBe(1);
    } finally {
      await locker.query('ROLLBACK');
    }
    // Nothing of the cancelled transactions stayed, and the connections they had serve again.
    const [row] = await dataSource.query(`SELECT n FROM probe_rows WHERE id = 'hot'`);
    expect(row.n).toBe(0);
    expect(await bumpWithin('hot', 1_000)).toBe(1);
  });

  it('leaves alone a transaction that finishes in time, and one run outside any call', async () => {
    expect(await bumpWithin('cold', 1_000)).toBe(1);
    expect(await db.transaction((em) => db.run(em, bump, ['cold']))).toBe(1);
    const [row] = await dataSource.query(`SELECT n FROM probe_rows WHERE id = 'cold'`);
    expect(row.n).toBe(3);
  });

  it('gives up a cancel it cannot send within a second, rather than hold the transaction waiting for it', async () => {
    // A server that takes the connection and never answers: PostgreSQL unreachable mid-handshake.
    const held: Socket[] = [];
    const silent = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const overdue = new OverdueStatements('probe', `postgres://postgres@127.0.0.1:${port}/none`);
    try {
      const unwatch = overdue.watch(2_000_000, Date.now() - 1);
      while (held.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      const waited = Date.now();
      await unwatch();
      expect(Date.now() - waited).toBeLessThan(3_000);
    } finally {
      await overdue.close();
      for (const socket of held) socket.destroy();
      silent.close();
    }
  });
});
