import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ContextDatabase, dataSourceOptions, Housekeeping, idempotencyRecordsPruning, openContextDataSource, sql } from '@cleave/platform';
import { storageEngines } from '../../../test/support/postgres';
import { ledgerMigrations } from '../src/migrations';

const dataDir = mkdtempSync(join(tmpdir(), 'cleave-idempotency-pruning-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
// The migrations each test runs would be narrated in colour on the test's output.
Logger.overrideLogger(['error']);

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const idempotencyKeepMs = idempotencyRecordsPruning(7 * 24).keepMs;
/** More old rows than one delete batch takes, so pruning has to come back for the rest. */
const OLD_ROWS = 1_203;

const insertRecord = sql(
  'test.insert-record',
  "INSERT INTO idempotency_records (scope, idempotency_key, request_hash, response, created_at) VALUES ('internal:ledger.top-up', ?, 'h', '{}', ?)",
);
const recordKeys = sql('test.record-keys', 'SELECT idempotency_key AS key FROM idempotency_records ORDER BY idempotency_key');

const engines = storageEngines(dataDir);

describe.each(engines)("the ledger's idempotency records on %s", (_engine, open) => {
  let dataSource: DataSource | undefined;
  let dispose: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await dataSource?.destroy();
    await dispose?.();
  });

  it('are honoured for their retention, then forgotten', async () => {
    const engine = await open();
    dispose = engine.dispose;
    dataSource = await openContextDataSource(
      dataSourceOptions(engine.config, { context: 'ledger', events: true, idempotency: true, entities: [], migrations: ledgerMigrations }),
      true,
    );
    const db = new ContextDatabase('ledger', dataSource);
    const old = Array.from({ length: OLD_ROWS }, (_, i) => ({ key: `old-${i}`, at: NOW - idempotencyKeepMs - 1 - i * 1000 }));
    const kept = [
      { key: 'just-inside-retention', at: NOW - idempotencyKeepMs + 1 },
      { key: 'yesterday', at: NOW - 24 * 3_600_000 },
    ];
    await db.transaction(async (em) => {
      for (const { key, at } of [...old, ...kept]) await db.run(em, insertRecord, [key, iso(at)]);
    });

    const housekeeping = new Housekeeping('ledger', db, [idempotencyRecordsPruning(7 * 24)], 60_000);
    expect(await housekeeping.prune(NOW)).toEqual({ idempotency_records: OLD_ROWS });
    expect((await db.all<{ key: string }>(undefined, recordKeys, [])).map((row) => row.key)).toEqual(kept.map((k) => k.key).sort());
  });
});
