import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import type { DataSource, MigrationInterface } from 'typeorm';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ContextDatabase, dataSourceOptions, openContextDataSource, sql, type CleaveConfig } from '@cleave/platform';
import { storageEngines } from '../../../test/support/postgres';
import { feedMigrations } from '../src/migrations';
import { CardSpendDays1766100000000 } from '../src/migrations/1766100000000-card-spend-days';

const dataDir = mkdtempSync(join(tmpdir(), 'cleave-spend-days-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
// The migrations each test runs would be narrated in colour on the test's output.
Logger.overrideLogger(['error']);

const insertPayment = sql(
  'test.insert-payment',
  'INSERT INTO card_spend (transaction_id, account_id, amount, currency, status, local_day) VALUES (?, ?, ?, ?, ?, ?)',
);
const days = sql(
  'test.days',
  'SELECT account_id, currency, local_day, total FROM card_spend_days ORDER BY account_id, currency, local_day',
);

const open = (config: CleaveConfig, migrations: ReadonlyArray<new () => MigrationInterface>) =>
  openContextDataSource(dataSourceOptions(config, { context: 'feed', events: true, entities: [], migrations }), true);

describe.each(storageEngines(dataDir))("the feed's day totals, added to a database that has payments, on %s", (_engine, engine) => {
  let dataSource: DataSource | undefined;
  let dispose: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await dataSource?.destroy();
    await dispose?.();
  });

  it('are filled in from the pending and settled payments, by account, currency and day', async () => {
    const { config, dispose: drop } = await engine();
    dispose = drop;
    dataSource = await open(config, feedMigrations.slice(0, feedMigrations.indexOf(CardSpendDays1766100000000)));
    const before = new ContextDatabase('feed', dataSource);
    await before.transaction(async (em) => {
      for (const row of [
        ['tx_1', 'acc_a', 1_000, 'GBP', 'pending', '2026-12-01'],
        ['tx_2', 'acc_a', 250, 'GBP', 'settled', '2026-12-01'],
        ['tx_3', 'acc_a', 4_000, 'GBP', 'reversed', '2026-12-01'],
        ['tx_4', 'acc_a', 300, 'EUR', 'pending', '2026-12-01'],
        ['tx_5', 'acc_a', 70, 'GBP', 'pending', '2026-12-02'],
        ['tx_6', 'acc_b', 5, 'GBP', 'settled', '2026-12-01'],
        ['tx_7', 'acc_c', 9_999, 'GBP', 'declined', '2026-12-01'],
      ])
        await before.run(em, insertPayment, row);
    });
    await dataSource.destroy();

    dataSource = await open(config, feedMigrations);
    const after = new ContextDatabase('feed', dataSource);
    const rows = await after.all<{ account_id: string; currency: string; local_day: string; total: string | number }>(undefined, days, []);
    expect(rows.map((r) => [r.account_id, r.currency, r.local_day, Number(r.total)])).toEqual([
      ['acc_a', 'EUR', '2026-12-01', 300],
      ['acc_a', 'GBP', '2026-12-01', 1_250],
      ['acc_a', 'GBP', '2026-12-02', 70],
      ['acc_b', 'GBP', '2026-12-01', 5],
    ]);
  });
});
