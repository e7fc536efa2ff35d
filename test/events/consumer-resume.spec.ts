import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, startBank, type RunningBank } from '../support/cleave-http';
import { eventually, fundedCard, NETWORK_SECRET, type Customer } from '../http/customers';

/**
 * Events keep flowing after a consumer's process dies holding one, after NATS restarts, and after NATS
 * comes back without its store: within seconds, each event once. (The bounds are generous deadlines for
 * conditions, not timings: before, a dead consumer's event waited out a 60 s acknowledgement timeout, and
 * a broker without its store stopped events until every process restarted.)
 */
describe('event consumers resume in seconds, split on SQLite', () => {
  let bank: RunningBank;
  let card: { customer: Customer; account: string; cardToken: string };

  beforeAll(async () => {
    bank = await startBank('split', 'sqlite');
    card = await fundedCard(new Api(bank.url), 100_000);
  }, 120_000);
  afterAll(async () => {
    await bank?.stop();
  });

  const api = () => new Api(bank.url);

  async function pay(merchant: string): Promise<string> {
    const reply = await api().post(
      '/network/authorisations',
      {
        card_token: card.cardToken,
        amount: 250,
        currency: 'GBP',
        network_transaction_id: `ntx-${randomBytes(6).toString('hex')}`,
        merchant: { name: merchant, mcc: '5814' },
      },
      { headers: { authorization: `Bearer ${NETWORK_SECRET}` } },
    );
    expect(reply.body).toMatchObject({ approved: true });
    return reply.body.transaction_id ?? merchant;
  }

  /** Waits until the feed has an item for each merchant, and then checks each has exactly one. */
  async function feedShows(merchants: string[], timeoutMs: number): Promise<void> {
    const items = await eventually(
      async () =>
        ((await api().get(`/feed?account_id=${card.account}&limit=100`, { token: card.customer.token })).body.items ?? []) as Array<{
          title: string;
        }>,
      (found) => merchants.every((m) => found.some((i) => i.title.includes(m))),
      timeoutMs,
    );
    for (const m of merchants)
      expect(
        items.filter((i) => i.title.includes(m)),
        m,
      ).toHaveLength(1);
  }

  /** Pays once the bank answers again (right after NATS came back, a context may not have reconnected yet). */
  async function payWhenServing(merchant: string): Promise<void> {
    await eventually(
      async () => (await api().get('/readyz')).status,
      (status) => status === 200,
      20_000,
    );
    await eventually(
      async () => (await api().post('/network/authorisations', {}, { headers: { authorization: `Bearer ${NETWORK_SECRET}` } })).status,
      (status) => status === 400,
    );
    await pay(merchant);
  }

  it('redelivers the event a killed consumer held, within seconds of the consumer coming back', async () => {
    const feed = bank.hosting('feed')[0]!;
    // The feed holds each event for a long while before handling it, so one is in its hands when it dies.
    const slow = await bank.restart(feed, { CLEAVE_EVENT_FAULTS: 'feed:ledger.transaction-created.v1=delay:60000' });
    const merchant = `Held ${randomBytes(3).toString('hex')}`;
    await pay(merchant);
    await slow.kill();
    await bank.restart(slow, { CLEAVE_EVENT_FAULTS: undefined });
    await feedShows([merchant], 15_000);
  });

  // With NATS down the gateway told the network "declined" but could record the abandonment nowhere, so
  // an approval given before stayed held: the network's last answer and the customer's money disagreed.
  // An approval partly reversed since was passed over by the abandonment even once recorded.
  it('records an abandonment it could not record while NATS was down once NATS is back: the held money is released, partly reversed or not', async () => {
    const [whole, partial] = [`ntx-${randomBytes(6).toString('hex')}`, `ntx-${randomBytes(6).toString('hex')}`];
    const network = { headers: { authorization: `Bearer ${NETWORK_SECRET}` } };
    const authorise = (ntx: string) =>
      api().post(
        '/network/authorisations',
        {
          card_token: card.cardToken,
          amount: 4_321,
          currency: 'GBP',
          network_transaction_id: ntx,
          merchant: { name: 'Held Over', mcc: '5814' },
        },
        network,
      );
    const balance = async () =>
      (await api().get(`/balance?account_id=${card.account}`, { token: card.customer.token })).body.balance as number;
    const before = await balance();
    expect((await authorise(whole)).body).toMatchObject({ approved: true });
    expect((await authorise(partial)).body).toMatchObject({ approved: true });
    const reversal = await api().post(
      '/network/reversals',
      { reversal_id: `r-${partial}`, network_transaction_id: partial, amount: 1_000 },
      network,
    );
    expect(reversal.body).toMatchObject({ status: 'partially_reversed', remaining: 3_321 });
    expect(await balance()).toBe(before - 4_321 - 3_321);
    await bank.nats!.stop();
    try {
      // The network retries while nothing behind the gateway can be reached: declined, within the budget.
      expect((await authorise(whole)).body).toMatchObject({ approved: false, decline_reason: 'issuer_unavailable' });
      expect((await authorise(partial)).body).toMatchObject({ approved: false, decline_reason: 'issuer_unavailable' });
    } finally {
      await bank.nats!.start();
    }
    // The last answers were "declined": once NATS is back, the approvals are withdrawn and their holds released.
    await eventually(
      () => balance().catch(() => undefined),
      (now) => now === before,
      30_000,
    );
    expect((await authorise(whole)).body).toMatchObject({ approved: false });
    expect((await authorise(partial)).body).toMatchObject({ approved: false });
  });

  it('carries on after NATS restarts, with no process restarted', async () => {
    await bank.nats!.restart();
    const merchant = `After restart ${randomBytes(3).toString('hex')}`;
    await payWhenServing(merchant);
    await feedShows([merchant], 20_000);
  });

  it('loses no event when NATS comes back without its store: the stream and consumers are made again and the outboxes republish', async () => {
    const feed = bank.hosting('feed')[0]!;
    await feed.stop();
    // Stored by JetStream, then lost with its store before the feed read it.
    const unread = `Unread ${randomBytes(3).toString('hex')}`;
    await pay(unread);
    await bank.nats!.restartEmpty();
    await bank.restart(feed);
    const after = `After loss ${randomBytes(3).toString('hex')}`;
    await payWhenServing(after);
    await feedShows([unread, after], 30_000);
    expect(bank.output()).toMatch(/events stream \w+ was made anew \(the broker lost it\): republishing/);
    expect((await api().get('/readyz')).status).toBe(200);
  });
});
