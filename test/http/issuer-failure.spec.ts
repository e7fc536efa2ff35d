import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, startBank, type RunningBank } from '../support/cleave-http';
import { balanceOf, eventually, fundedCard, NETWORK_SECRET } from './customers';

/**
 * Cards failing on its own side (a chaos drill found a deadlock; here its table is away) answered the card
 * network a 500. The network is owed a decision within its budget: it hears `issuer_unavailable`, and the
 * payment is abandoned as on a timeout, so a retry of it is declined too and no money stays held.
 */
describe('an authorisation that cards fails on its own side', () => {
  let bank: RunningBank;
  let api: Api;

  beforeAll(async () => {
    bank = await startBank('monolith', 'postgres', { CLEAVE_CARD_FOLLOWUP_MS: '200', CLEAVE_EVENT_BACKOFF_MS: '50' });
    api = new Api(bank.url);
  });
  afterAll(async () => {
    await bank?.stop();
  });

  async function onDatabase<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: bank.databaseUrl });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  it('is declined issuer_unavailable, never a 500, and a retry of it is declined too', async () => {
    const { customer, account, cardToken } = await fundedCard(api, 5_000);
    const networkTransactionId = `ntx-${randomBytes(6).toString('hex')}`;
    const authorise = () =>
      api.post(
        '/network/authorisations',
        {
          card_token: cardToken,
          amount: 1_200,
          currency: 'GBP',
          merchant: { name: 'Brightbird Espresso', mcc: '5814' },
          network_transaction_id: networkTransactionId,
        },
        { token: NETWORK_SECRET, json: true },
      );
    await onDatabase((c) => c.query('ALTER TABLE cards.card_authorisations RENAME TO card_authorisations_away'));
    let failed;
    try {
      failed = await authorise();
    } finally {
      await onDatabase((c) => c.query('ALTER TABLE cards.card_authorisations_away RENAME TO card_authorisations'));
    }
    expect([failed.status, failed.body], JSON.stringify(failed.body)).toEqual([
      200,
      expect.objectContaining({ approved: false, decline_reason: 'issuer_unavailable', network_transaction_id: networkTransactionId }),
    ]);
    // The abandonment reaches cards once its table is back.
    await eventually(
      () =>
        onDatabase(
          async (c) =>
            (await c.query('SELECT status FROM cards.card_authorisations WHERE network_transaction_id = $1', [networkTransactionId])).rows,
        ),
      (rows) => rows.length === 1 && rows[0].status === 'declined',
    );
    expect((await authorise()).body).toMatchObject({ approved: false });
    expect((await balanceOf(api, customer, account)).balance).toBe(5_000);
  });
});
