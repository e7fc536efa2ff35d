import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fundedCard, NETWORK_SECRET } from '../http/customers';
import { Api, startBank, type RunningBank } from '../support/cleave-http';

/**
 * One account that can't be served in time (its balance row locked: a burst of payments queued on it, a
 * long statement) must cost only that account. Its payments run out of time and are declined, but every
 * process on the way answers for itself before its caller gives up, so no caller mistakes the slowness of
 * one account for a context that is down, and no circuit opens on everyone else's payments.
 */
describe('a hot account, split on PostgreSQL', () => {
  let bank: RunningBank;
  let api: Api;
  let locker: pg.Client;

  beforeAll(async () => {
    bank = await startBank('split', 'postgres');
    api = new Api(bank.url);
    locker = new pg.Client({ connectionString: bank.databaseUrl });
    await locker.connect();
  }, 180_000);
  afterAll(async () => {
    await locker?.end();
    await bank?.stop();
  });

  let sequence = 0;
  const pay = (cardToken: string) =>
    api.post(
      '/network/authorisations',
      {
        card_token: cardToken,
        amount: 100,
        currency: 'GBP',
        network_transaction_id: `hot-${process.pid}-${++sequence}`,
        merchant: { name: 'Corner Shop', mcc: '5411' },
      },
      { token: NETWORK_SECRET },
    );

  it("declines a locked account's payments for lack of time and leaves every other account's approved", async () => {
    const hot = await fundedCard(api, 100_000);
    const other = await fundedCard(api, 100_000);
    expect((await pay(other.cardToken)).body.approved).toBe(true);

    await locker.query('BEGIN');
    await locker.query('SELECT id FROM ledger.ledger_accounts WHERE id = $1 FOR UPDATE', [hot.account]);
    try {
      // More than the breakers' run of failures, every one timed out on the lock.
      const stuck = await Promise.all(Array.from({ length: 8 }, () => pay(hot.cardToken)));
      expect(stuck.map((r) => `${r.status} ${r.body.decline_reason}`)).toEqual(Array(8).fill('200 issuer_unavailable'));
      // The lock still held: another account pays as if nothing happened.
      const during = await pay(other.cardToken);
      expect(during.body).toMatchObject({ approved: true });
    } finally {
      await locker.query('ROLLBACK');
    }
    expect((await pay(hot.cardToken)).body.approved).toBe(true);
    for (const process of bank.processes) {
      const management = process.readyMessage?.managementUrl;
      if (management === undefined) continue;
      const metrics = await (await fetch(`${management}/metrics`)).text();
      expect(metrics, process.spec.label).not.toMatch(/^cleave_bus_circuit_state\{[^}]*\} [12]$/m);
    }
  });
});
