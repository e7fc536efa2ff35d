import pg from 'pg';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDatabase } from '../support/postgres';
import { currentContext, rootContext, runWithContext } from '../../libs/platform/src/context/call-context';
import { CoalescedStatement } from '../../libs/platform/src/database/coalesced-statement';
import { ContextDatabase } from '../../libs/platform/src/database/context-database';
import { sql } from '../../libs/platform/src/database/sql';
import { sqlStatistics } from '../../libs/platform/src/database/sql-statistics';
import { CleaveError } from '../../libs/platform/src/errors/cleave-error';

const CONTEXT = 'coalesced-probe';
const bumpAll = sql(
  'probe.bump-all',
  '-- PostgreSQL only',
  'UPDATE probe_rows AS r SET n = r.n + v.by FROM unnest($1::text[], $2::int[]) AS v(id, by) WHERE r.id = v.id RETURNING r.id, r.n',
);

/**
 * Callers of one statement that ask while it is on its way share the next one: each gets its own answer,
 * a failure fails only the callers it served, and the statement is cancelled only at the last of their
 * deadlines.
 */
describe('a statement coalesced for its callers, on PostgreSQL', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let db: ContextDatabase;
  let bump: CoalescedStatement<{ id: string; by: number }, { id: string; n: number }, number | undefined>;
  const statements = () => sqlStatistics()[CONTEXT]?.statements ?? 0;

  beforeAll(async () => {
    database = await TestDatabase.create();
    dataSource = new DataSource({ type: 'postgres', url: database.url, extra: { max: 3 } });
    await dataSource.initialize();
    await dataSource.query('CREATE TABLE probe_rows (id text PRIMARY KEY, n int NOT NULL CHECK (n < 1000))');
    await dataSource.query(`INSERT INTO probe_rows SELECT 'row-' || i, 0 FROM generate_series(1, 50) AS i`);
    db = new ContextDatabase(CONTEXT, dataSource);
    bump = new CoalescedStatement(db, {
      statement: bumpAll,
      params: (bumps) => [bumps.map((b) => b.id), bumps.map((b) => b.by)],
      answer: (rows, bump) => rows.find((r) => r.id === bump.id)?.n,
    });
  });
  afterAll(async () => {
    await db?.onApplicationShutdown();
    await dataSource?.destroy();
    await database?.drop();
  });

  it('serves callers asking at once with fewer statements, each with its own answer', async () => {
    const before = statements();
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => bump.run({ id: `row-${i + 1}`, by: i + 1 })));
    expect(answers).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    // The first goes alone; the rest asked while it was on its way.
    expect(statements() - before).toBe(2);
    expect(await bump.run({ id: 'no-such-row', by: 1 })).toBeUndefined();
  });

  it("runs outside any caller's call, and keeps each caller's context for what it does next", async () => {
    const seen: Array<string | undefined> = [];
    const spied = new CoalescedStatement<string, { id: string; n: number }, string | undefined>(db, {
      statement: bumpAll,
      params: (ids) => {
        seen.push(currentContext()?.requestId);
        return [ids, ids.map(() => 0)];
      },
      answer: () => currentContext()?.requestId,
    });
    const asCall = (requestId: string) =>
      runWithContext(rootContext({ requestId, timeoutMs: 5_000 }, 5_000), async () => {
        await spied.run('row-1');
        return currentContext()?.requestId;
      });
    expect(await Promise.all([asCall('first'), asCall('second'), asCall('third')])).toEqual(['first', 'second', 'third']);
    expect(seen.every((requestId) => requestId === undefined)).toBe(true);
  });

  it('fails every caller a failing statement served, and only them', async () => {
    const first = bump.run({ id: 'row-50', by: 1 });
    // Asked while the first is on its way: these two go together, and one of them breaks the CHECK.
    const shared = [bump.run({ id: 'row-49', by: 1 }), bump.run({ id: 'row-48', by: 5_000 })];
    expect(await first).toBe(1);
    const settled = await Promise.allSettled(shared);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect(await bump.run({ id: 'row-49', by: 1 })).toBe(1);
    const [row] = await dataSource.query(`SELECT n FROM probe_rows WHERE id = 'row-48'`);
    expect(row.n).toBe(0);
  });

  it('is cancelled at the last of its callers’ deadlines, not the first', async () => {
    const locker = new pg.Client({ connectionString: database.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query(`SELECT n FROM probe_rows WHERE id = 'row-10' FOR UPDATE`);
    try {
      const within = (budgetMs: number, id: string) =>
        runWithContext(rootContext({ timeoutMs: budgetMs }, budgetMs), () => bump.run({ id, by: 1 }));
      const started = Date.now();
      // The first waits on the lock alone; the next two share a statement behind it.
      const waits = [within(300, 'row-10'), within(200, 'row-11'), within(900, 'row-10')];
      const firstFailed = await waits[0]!.then(
        () => 'done',
        (e: CleaveError) => e.code,
      );
      expect(firstFailed).toBe('timeout');
      const rest = await Promise.allSettled(waits.slice(1));
      // The 200 ms caller's deadline passed long before; its statement waited for the 900 ms one's.
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(rest.map((s) => (s.status === 'rejected' ? (s.reason as CleaveError).code : 'done'))).toEqual(['timeout', 'timeout']);
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    const [row] = await dataSource.query(`SELECT n FROM probe_rows WHERE id = 'row-11'`);
    expect(row.n).toBe(11);
  });
});
