import { Logger } from '@nestjs/common';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContextDatabase, dataSourceOptions, loadCleaveConfig, MessageBus, openContextDataSource } from '@cleave/platform';
import { TestDatabase } from '../../../test/support/postgres';
import { Authorisation } from '../src/authorisations/authorisation.entity';
import { CardDailySpend } from '../src/authorisations/card-daily-spend.entity';
import { FollowUps } from '../src/authorisations/follow-ups';
import { Card } from '../src/cards/card.entity';
import { CardsSettings } from '../src/cards.settings';
import { cardsMigrations } from '../src/migrations';

Logger.overrideLogger(['error']);

/**
 * A card payment sent three times at once while the ledger was away (a chaos drill): the first's decline
 * locked its authorisation and then its card's day, while a retry's record had locked the day and waited on
 * the authorisation's network id. PostgreSQL broke the deadlock by failing the decline, and the network was
 * answered a 500. Here a session of the test's own takes the day's row as recording does, and then asks for
 * the authorisation's row while the decline waits.
 */
describe('declining an authorisation on PostgreSQL while a payment on its card is being recorded', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let db: ContextDatabase;
  let followUps: FollowUps;

  beforeAll(async () => {
    database = await TestDatabase.create();
    const config = loadCleaveConfig({ DATABASE_URL: database.url });
    dataSource = await openContextDataSource(
      dataSourceOptions(config, { context: 'cards', entities: [Card, Authorisation, CardDailySpend], migrations: cardsMigrations }),
      true,
    );
    db = new ContextDatabase('cards', dataSource);
    // Nothing here answers the follow-ups the decline leaves (voiding a hold): they stay due.
    const noLedger = { send: () => Promise.reject(new Error('no ledger in this test')) } as unknown as MessageBus;
    followUps = new FollowUps(db, noLedger, new CardsSettings());
  });
  afterAll(async () => {
    await db?.onApplicationShutdown();
    await dataSource?.destroy();
    await database?.drop();
  });

  it('takes the card day before the authorisation, so both go through', async () => {
    const auth: Authorisation = {
      id: 'auth_0000000000000000000001',
      networkTransactionId: 'ntx-lock-order',
      cardId: 'card_000000000000000000001',
      accountId: 'acc_0000000000000000000001',
      amount: 500,
      currency: 'GBP',
      merchant: '{}',
      status: 'pending',
      declineReason: null,
      holdId: 'hold_000000000000000000001',
      heldAmount: 0,
      transactionId: null,
      spendDay: '2026-12-04',
      followup: null,
      createdAt: new Date().toISOString(),
      decideBy: new Date(Date.now() + 2_000).toISOString(),
      requestHash: null,
    };
    await dataSource.getRepository(Authorisation).insert(auth);
    await dataSource.getRepository(CardDailySpend).insert({ cardId: auth.cardId!, day: auth.spendDay!, amount: 500 });

    const recording = new pg.Client({ connectionString: database.url, options: '-c search_path=cards,public' });
    await recording.connect();
    try {
      await recording.query('BEGIN');
      await recording.query('UPDATE card_daily_spend SET amount = amount + 0 WHERE card_id = $1 AND day = $2', [
        auth.cardId,
        auth.spendDay,
      ]);
      const declining = followUps.decline(auth, 'issuer_unavailable', true);
      // The decline is waiting on a lock the recording session holds.
      for (;;) {
        const { rows } = await recording.query<{ waiting: number }>(
          "SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        );
        if (rows[0]!.waiting > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      // Recording's next step: the authorisation's row, by its network id's unique key.
      await recording.query('UPDATE card_authorisations SET request_hash = request_hash WHERE id = $1', [auth.id]);
      await recording.query('COMMIT');
      expect(await declining).toMatchObject({ approved: false, declineReason: 'issuer_unavailable' });
    } finally {
      await recording.end();
    }
    const [declined] = await dataSource.query('SELECT status FROM cards.card_authorisations WHERE id = $1', [auth.id]);
    const [day] = await dataSource.query('SELECT amount FROM cards.card_daily_spend WHERE card_id = $1', [auth.cardId]);
    expect([declined.status, Number(day.amount)]).toEqual(['declined', 0]);
  });
});
