import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContextDatabase, dataSourceOptions, loadCleaveConfig, MessageBus, openContextDataSource } from '@cleave/platform';
import { Authorisation } from '../src/authorisations/authorisation.entity';
import { CardDailySpend } from '../src/authorisations/card-daily-spend.entity';
import { Card } from '../src/cards/card.entity';
import { Reversals } from '../src/clearing/reversals';
import { cardsMigrations } from '../src/migrations';

Logger.overrideLogger(['error']);
const dataDir = mkdtempSync(join(tmpdir(), 'cleave-reversal-race-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/**
 * The same reversal sent three times at once (a chaos drill, under load): one copy found no answer under
 * its key yet, then read the authorisation after another copy had reversed it, and told the network
 * `409 not_reversible` where the others said `reversed`. Here that copy is held between the two reads.
 */
describe('a reversal sent again while its first copy finishes', () => {
  let dataSource: DataSource;
  let db: ContextDatabase;

  beforeAll(async () => {
    const config = loadCleaveConfig({ CLEAVE_DATA_DIR: dataDir });
    dataSource = await openContextDataSource(
      dataSourceOptions(config, {
        context: 'cards',
        idempotency: true,
        events: true,
        entities: [Card, Authorisation, CardDailySpend],
        migrations: cardsMigrations,
      }),
      true,
    );
    db = new ContextDatabase('cards', dataSource);
  });
  afterAll(async () => {
    await db?.onApplicationShutdown();
    await dataSource?.destroy();
  });

  it("gets the first copy's answer, not a refusal", async () => {
    await dataSource.getRepository(Authorisation).insert({
      id: 'auth_0000000000000000000002',
      networkTransactionId: 'ntx-reversed-twice',
      cardId: 'card_000000000000000000002',
      accountId: 'acc_0000000000000000000002',
      amount: 700,
      currency: 'GBP',
      merchant: '{}',
      status: 'approved',
      declineReason: null,
      holdId: 'hold_000000000000000000002',
      heldAmount: 700,
      transactionId: null,
      spendDay: '2026-12-04',
      followup: null,
      createdAt: new Date().toISOString(),
      decideBy: new Date().toISOString(),
      requestHash: null,
    });
    // The ledger voids the hold once per key and answers a repeat the same.
    const ledger = { send: () => Promise.resolve({ transactionId: 'tx_voided' }) } as unknown as MessageBus;
    let held!: () => void;
    let reached!: () => void;
    const atAuthorisationRead = new Promise<void>((resolve) => (reached = resolve));
    const released = new Promise<void>((resolve) => (held = resolve));
    const heldDb = new Proxy(db, {
      get(target, property) {
        const value = Reflect.get(target, property, target) as unknown;
        if (property !== 'read') return typeof value === 'function' ? value.bind(target) : value;
        return async (...args: Parameters<ContextDatabase['read']>) => {
          reached();
          await released;
          return target.read(...args);
        };
      },
    });
    const request = { reversalId: 'rev-1', networkTransactionId: 'ntx-reversed-twice' };
    const second = new Reversals(heldDb, ledger).reverse(request);
    await atAuthorisationRead;
    const first = await new Reversals(db, ledger).reverse(request);
    held();
    expect(first).toEqual({ reversalId: 'rev-1', status: 'reversed', remaining: 0 });
    expect(await second).toEqual(first);
  });
});
