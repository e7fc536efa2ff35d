import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, TestDatabase } from '../support/postgres';
import { rootContext, runWithContext } from '../../libs/platform/src/context/call-context';
import { ContextDatabase } from '../../libs/platform/src/database/context-database';
import { sql } from '../../libs/platform/src/database/sql';
import { CleaveError } from '../../libs/platform/src/errors/cleave-error';

const bump = sql('probe.bump', 'UPDATE probe_rows SET n = n + 1 WHERE id = ?');
const read = sql('probe.read', 'SELECT n FROM probe_rows WHERE id = ?');

/**
 * PostgreSQL restarting, failing over or terminating backends under load: the calls that were on the lost
 * connections fail as `unavailable`, the process lives on, and the next calls are served. A fault drill that
 * terminated backends every second ended the ledger and cards processes ("Unhandled 'error' event" on a
 * connection the pool had lent) and answered the rest with 500s.
 */
describe('connections to PostgreSQL lost under load', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let db: ContextDatabase;

  beforeAll(async () => {
    database = await TestDatabase.create();
    dataSource = new DataSource({ type: 'postgres', url: database.url, extra: { max: 4 } });
    await dataSource.initialize();
    await dataSource.query('CREATE TABLE probe_rows (id text PRIMARY KEY, n int NOT NULL)');
    await dataSource.query(`INSERT INTO probe_rows VALUES ('a', 0), ('b', 0)`);
    db = new ContextDatabase('probe', dataSource);
  });
  afterAll(async () => {
    await db?.onApplicationShutdown();
    await dataSource?.destroy();
    await database?.drop();
  });

  // Each kind of work the contexts do: a statement on its own within a call, a transaction, a TypeORM read.
  const work = [
    () => runWithContext(rootContext({ timeoutMs: 5_000 }, 5_000), () => db.get(undefined, read, ['a'])),
    () => runWithContext(rootContext({ timeoutMs: 5_000 }, 5_000), () => db.transaction((em) => db.run(em, bump, ['b']))),
    () => db.read((em) => em.query(`SELECT n FROM probe_rows WHERE id = 'a'`)),
  ];

  it('fails the calls on lost connections as unavailable, and serves the next ones', async () => {
    const failures = new Map<string, number>();
    let stop = false;
    const load = Array.from({ length: 6 }, async (_, worker) => {
      for (let i = 0; !stop; i++) {
        try {
          await work[(worker + i) % work.length]!();
        } catch (error) {
          const code = error instanceof CleaveError ? error.code : `untyped: ${(error as Error).message}`;
          failures.set(code, (failures.get(code) ?? 0) + 1);
        }
      }
    });
    let terminated = 0;
    try {
      for (let round = 0; round < 15; round++) {
        const { rowCount } = await admin((c) =>
          c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database.name]),
        );
        terminated += rowCount ?? 0;
        await new Promise((resolve) => setTimeout(resolve, 50 + 20 * round));
      }
    } finally {
      stop = true;
      await Promise.all(load);
    }
    expect(terminated).toBeGreaterThan(0);
    // Lost connections are a service unavailable, never an internal error or an untyped one.
    expect([...failures.keys()].filter((code) => code !== 'unavailable')).toEqual([]);
    // The pool makes new connections: every kind of work is served again.
    for (const each of work) await each();
  });

  // pg-pool takes its error listener off a client it lends: lost while lent, with no query running to fail,
  // the client's 'error' event had no listener and ended the process (a CI run, in the test above).
  it('keeps a listener on a client while it is lent, and outlives its connection being lost then', async () => {
    const pool = (dataSource.driver as unknown as { master: Pool }).master;
    const client = await pool.connect();
    expect(client.listenerCount('error')).toBeGreaterThan(0);
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    await admin((c) => c.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]));
    const lost = await client.query('SELECT 1').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(lost).toBeInstanceOf(Error);
    client.release(lost as Error);
    expect(await runWithContext(rootContext({ timeoutMs: 5_000 }, 5_000), () => db.get(undefined, read, ['a']))).toBeDefined();
  });
});
