import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { jetstream } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { newEntityId } from '@cleave/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, startBank, type RunningBank } from '../support/cleave-http';
import { connectAs, ledgerTransaction, publishTransactionEvent } from '../support/ledger-events';
import { WebhookReceiver } from '../support/webhook-receiver';
import { eventually, fundedCard, key, NETWORK_SECRET, openAccount, signUp, topUp, type Customer } from '../http/customers';

const ADMIN = { authorization: 'Bearer cleave-development-admin-secret' };
const BRIGHTBIRD = { name: 'Brightbird Espresso', mcc: '5814', city: 'London', country: 'GB' };
const network = { token: NETWORK_SECRET, json: true };
const DEAD_LETTERS_CLI = fileURLToPath(new URL('../../dist/apps/cleave/src/cli/dead-letters.js', import.meta.url));

const pay = (api: Api, cardToken: string, amount: number) =>
  api.post(
    '/network/authorisations',
    {
      card_token: cardToken,
      amount,
      currency: 'GBP',
      merchant: BRIGHTBIRD,
      network_transaction_id: `ntx-${randomBytes(6).toString('hex')}`,
    },
    network,
  );

const notificationTexts = async (api: Api, customer: Customer, account: string): Promise<string[]> =>
  ((await api.get(`/notifications?account_id=${account}&limit=100`, { token: customer.token })).body.notifications ?? [])
    .map((n: { text: string }) => n.text)
    .reverse();

describe('events survive crashes, outages and replicas (split over NATS)', () => {
  let bank: RunningBank;
  let api: Api;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    bank = await startBank(
      'split',
      'sqlite',
      { CLEAVE_WEBHOOKS_ALLOW_PRIVATE: 'true', CLEAVE_WEBHOOK_BACKOFF_MS: '50', CLEAVE_AUTHORISATION_BUDGET_MS: '20000' },
      { feed: 2 },
    );
    api = new Api(bank.url);
  });
  afterAll(async () => {
    await bank?.stop();
    await receiver?.close();
  });

  it('delivers an event once when the ledger dies between committing it and publishing it', async () => {
    const customer = await signUp(api);
    const account = await openAccount(api, customer);
    const hook = (await api.post('/webhooks', { account_id: account, url: receiver.url }, { token: customer.token })).body.webhook;
    const crashing = await bank.restart(bank.hosting('ledger')[0]!, { CLEAVE_CRASH_AFTER_COMMIT: 'ledger.transaction-created.v1' });
    const idempotencyKey = key();
    const lost = await api.post(`/accounts/${account}/top-ups`, { amount: 4_200 }, { token: customer.token, idempotencyKey });
    expect(lost.status).toBeGreaterThanOrEqual(500);
    expect(await crashing.waitForExit()).toBe(-1);

    await bank.restart(crashing, { CLEAVE_CRASH_AFTER_COMMIT: undefined });
    // The customer's retry finds the top-up that committed before the crash: the money moved once.
    const retried = await api.post(`/accounts/${account}/top-ups`, { amount: 4_200 }, { token: customer.token, idempotencyKey });
    expect(retried.status).toBe(201);
    const txId = retried.body.transaction.id;
    expect((await api.get(`/balance?account_id=${account}`, { token: customer.token })).body.balance).toBe(4_200);

    const items = await eventually(
      async () =>
        (await api.get(`/feed?account_id=${account}`, { token: customer.token })).body.items as Array<{ transaction_id?: string }>,
      (list) => list.some((i) => i.transaction_id === txId),
    );
    await eventually(
      async () => receiver.accepted().filter((d) => d.data.id === txId).length,
      (n) => n >= 1,
    );
    // Give a duplicate every chance to show up before counting.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(items.filter((i) => i.transaction_id === txId)).toHaveLength(1);
    expect(
      (await api.get(`/feed?account_id=${account}`, { token: customer.token })).body.items.filter(
        (i: { transaction_id?: string }) => i.transaction_id === txId,
      ),
    ).toHaveLength(1);
    expect(receiver.accepted().filter((d) => d.data.id === txId)).toHaveLength(1);
    const deliveries = (await api.get(`/webhooks/${hook.id}/deliveries`, { token: customer.token })).body.deliveries;
    expect(deliveries.filter((d: { status: string }) => d.status === 'delivered')).toHaveLength(1);
  });

  it('lets the feed catch up in order after being down, with two replicas never both applying an event', async () => {
    const { customer, account, cardToken } = await fundedCard(api, 100_000);
    await eventually(
      () => notificationTexts(api, customer, account),
      (t) => t.length === 0,
    );
    const feeds = bank.hosting('feed');
    expect(feeds).toHaveLength(2);
    await Promise.all(feeds.map((f) => f.stop()));
    expect((await api.get(`/notifications?account_id=${account}`, { token: customer.token })).status).toBe(503);

    const amounts = [500, 700, 300, 1_250, 45];
    for (const amount of amounts) expect((await pay(api, cardToken, amount)).body.approved).toBe(true);
    await Promise.all(feeds.map((f) => bank.restart(f)));

    // Each running total depends on every payment before it having been applied, once, in order.
    const expected = ['£5.00', '£12.00', '£15.00', '£27.50', '£27.95'].map(
      (total, i) => `☕ £${(amounts[i]! / 100).toFixed(2)} at Brightbird Espresso. You've spent ${total} today.`,
    );
    const texts = await eventually(
      () => notificationTexts(api, customer, account),
      (t) => t.length >= amounts.length,
      20_000,
    );
    expect(texts).toEqual(expected);

    // Both replicas now share the consumer: a burst of payments is applied once each.
    for (let i = 0; i < 20; i++) expect((await pay(api, cardToken, 10)).body.approved).toBe(true);
    const all = await eventually(
      () => notificationTexts(api, customer, account),
      (t) => t.length >= 25,
      20_000,
    );
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await notificationTexts(api, customer, account)).toHaveLength(25);
    expect(all.at(-1)).toBe("☕ £0.10 at Brightbird Espresso. You've spent £29.95 today.");
    const dead = await api.get('/admin/dead-letters?context=feed', { token: 'cleave-development-admin-secret' });
    expect(dead.body.dead_letters).toEqual([]);
  });
});

describe.each(['postgres', 'sqlite'] as const)(
  'a consumer killed after applying events, before acknowledging them (split on %s)',
  (storage) => {
    let bank: RunningBank;
    let api: Api;

    beforeAll(async () => {
      bank = await startBank('split', storage);
      api = new Api(bank.url);
    });
    afterAll(async () => {
      await bank?.stop();
    });

    it('changes nothing when the applied events come again', async () => {
      const { customer, account, cardToken } = await fundedCard(api, 100_000);
      const feedItems = async () =>
        ((await api.get(`/feed?account_id=${account}&limit=100`, { token: customer.token })).body.items ?? []) as Array<{
          transaction_id?: string;
        }>;
      // The top-up's item is in: what the feed takes next is the payments'.
      await eventually(feedItems, (items) => items.length === 1);
      const crashing = await bank.restart(bank.hosting('feed')[0]!, { CLEAVE_CRASH_AT: 'feed.consume:before-ack' });
      const first = await Promise.all([500, 700, 300].map((amount) => pay(api, cardToken, amount)));
      for (const reply of first) expect(reply.body.approved).toBe(true);
      expect(await crashing.waitForExit()).toBe(-1);
      await bank.restart(crashing, { CLEAVE_CRASH_AT: undefined });
      expect((await pay(api, cardToken, 1_250)).body.approved).toBe(true);

      const texts = await eventually(
        () => notificationTexts(api, customer, account),
        (t) => t.length >= 4,
        20_000,
      );
      expect(texts).toHaveLength(4);
      // Each running total is the one before it plus its own payment: none counted twice.
      let total = 0;
      for (const text of texts) {
        const [, paid, spent] = /£([\d.]+) at Brightbird Espresso\. You've spent £([\d.]+) today\./.exec(text)!;
        total += Math.round(Number(paid) * 100);
        expect(Math.round(Number(spent) * 100)).toBe(total);
      }
      expect(total).toBe(2_750);
      const items = await feedItems();
      expect(items).toHaveLength(5);
      expect(new Set(items.map((i) => i.transaction_id)).size).toBe(5);
      expect((await api.get('/admin/dead-letters?context=feed', { headers: ADMIN })).body.dead_letters).toEqual([]);
    });

    // A dead letter replayed late put an older state of a payment back over a newer one, and an update that
    // came before its payment's creation (parked, to be replayed) was lost: the day's total went wrong.
    it("keeps each payment's newest state in the day's total, whatever order its events come in", async () => {
      const { customer, account, cardToken } = await fundedCard(api, 100_000);
      const nc = await connectAs(bank, 'ledger');
      try {
        const merchant = { id: `merch_${'O'.repeat(22)}`, name: 'Out Of Order', category: 'eating_out', mcc: '5814', emoji: '☕' };
        const publish = (event: 'created' | 'updated', id: string, amount: number, status: string) =>
          publishTransactionEvent(
            nc,
            bank,
            event,
            ledgerTransaction(account, { id, amount, status, merchant, description: 'Out Of Order', category: 'eating_out' }),
          );
        // Reversed, then an older partial reversal (pending, £7.00) replayed late: the reversal stands.
        const reversed = newEntityId('tx');
        await publish('created', reversed, -1_000, 'pending');
        await publish('updated', reversed, -1_000, 'reversed');
        await publish('updated', reversed, -700, 'pending');
        // Settled before its creation arrives: counted once, as settled.
        const settled = newEntityId('tx');
        await publish('updated', settled, -500, 'settled');
        await publish('created', settled, -500, 'pending');
        // Taken in order: the next payment's notification tells the day as those left it (£5.00 + £2.50).
        expect((await pay(api, cardToken, 250)).body.approved).toBe(true);
        const texts = await eventually(
          () => notificationTexts(api, customer, account),
          (t) => t.some((text) => text.startsWith('☕ £2.50 at Brightbird Espresso')),
          20_000,
        );
        expect(texts.find((text) => text.startsWith('☕ £2.50 at Brightbird Espresso'))).toBe(
          "☕ £2.50 at Brightbird Espresso. You've spent £7.50 today.",
        );
      } finally {
        await nc.close();
      }
    });

    // A poison entry was parked again, under a new id, each time its run came back: the letters multiplied.
    it('parks a poison entry of a run once, though the run comes again', async () => {
      const { customer, account, cardToken } = await fundedCard(api, 10_000);
      const prefix = bank.security!.prefix;
      const nc = await connectAs(bank, 'ledger');
      try {
        const crashing = await bank.restart(bank.hosting('feed')[0]!, { CLEAVE_CRASH_AT: 'feed.consume:before-ack' });
        const now = new Date().toISOString();
        const poisonId = newEntityId('evt');
        const h = natsHeaders();
        h.set('cleave-batch', '2');
        const run = [
          {
            id: newEntityId('evt'),
            time: now,
            aggregateId: account,
            payload: { transaction: ledgerTransaction(account, { created: now, description: 'Run Came Again' }) },
          },
          { id: poisonId, time: now, aggregateId: account, payload: { transaction: { id: 'nonsense' } } },
        ];
        await jetstream(nc).publish(`${prefix}.evt.ledger.transaction-created.v1`, JSON.stringify(run), {
          msgID: `${newEntityId('evt')}+run`,
          headers: h,
        });
        expect(await crashing.waitForExit()).toBe(-1);
        await bank.restart(crashing, { CLEAVE_CRASH_AT: undefined });
        // Events are taken in order: once a later payment is in the feed, the run came again and was handled.
        expect((await pay(api, cardToken, 250)).body.approved).toBe(true);
        await eventually(
          async () => JSON.stringify((await api.get(`/feed?account_id=${account}&limit=100`, { token: customer.token })).body.items ?? []),
          (items) => items.includes('Brightbird Espresso') && items.includes('Run Came Again'),
          20_000,
        );
        const letters = (await api.get('/admin/dead-letters?context=feed', { headers: ADMIN })).body.dead_letters as Array<{
          event_id: string;
        }>;
        expect(letters.filter((l) => l.event_id === poisonId)).toHaveLength(1);
      } finally {
        await nc.close();
      }
    });
  },
);

describe('a run of events over JetStream whose handler fails at first', () => {
  let bank: RunningBank;
  let api: Api;

  beforeAll(async () => {
    // The feed's handler fails its first two runs: the first event of the run, then its retry.
    bank = await startBank('split', 'sqlite', {
      CLEAVE_EVENT_FAULTS: 'feed:ledger.transaction-created.v1=fail:2',
      CLEAVE_EVENT_BACKOFF_MS: '50',
      CLEAVE_EVENT_MAX_ATTEMPTS: '5',
    });
    api = new Api(bank.url);
  });
  afterAll(async () => {
    await bank?.stop();
  });

  it('retries the failing event in place and applies every event of the run once, parking none', async () => {
    const customer = await signUp(api);
    const account = await openAccount(api, customer);
    const ledger = await connectAs(bank, 'ledger');
    try {
      const now = new Date().toISOString();
      const titles = ['Run One', 'Run Two', 'Run Three'];
      const entries = titles.map((description) => ({
        id: newEntityId('evt'),
        time: now,
        aggregateId: account,
        payload: { transaction: ledgerTransaction(account, { amount: -250, created: now, description }) },
      }));
      const h = natsHeaders();
      h.set('cleave-batch', String(entries.length));
      await jetstream(ledger).publish(`${bank.security!.prefix}.evt.ledger.transaction-created.v1`, JSON.stringify(entries), {
        msgID: `${entries[0]!.id}+2`,
        headers: h,
      });
      const feed = await eventually(
        async () =>
          ((await api.get(`/feed?account_id=${account}&limit=100`, { token: customer.token })).body.items ?? []) as Array<{
            title?: string;
            body?: string;
          }>,
        (items) => titles.every((t) => JSON.stringify(items).includes(t)),
      );
      // Each once, though the first was tried three times and the run may have been delivered again.
      for (const title of titles) expect(feed.filter((item) => JSON.stringify(item).includes(title))).toHaveLength(1);
      expect((await api.get('/admin/dead-letters?context=feed', { headers: ADMIN })).body.dead_letters).toEqual([]);
    } finally {
      await ledger.close();
    }
  });
});

describe('dead letters', () => {
  let bank: RunningBank;
  let api: Api;

  beforeAll(async () => {
    // The feed's handler of transaction-created fails its first three runs; three attempts are allowed.
    bank = await startBank('monolith', 'sqlite', {
      CLEAVE_EVENT_FAULTS: 'feed:ledger.transaction-created.v1=fail:3',
      CLEAVE_EVENT_MAX_ATTEMPTS: '3',
      CLEAVE_EVENT_BACKOFF_MS: '10',
      CLEAVE_ADMIN_SECRET: 'an-operator-secret-for-tests',
    });
    api = new Api(bank.url);
  });
  afterAll(async () => {
    await bank?.stop();
  });

  it('parks an event after its last attempt, lists it, and replays it through the CLI', async () => {
    const admin = { token: 'an-operator-secret-for-tests' };
    const customer = await signUp(api);
    const account = await openAccount(api, customer);
    const tx = await topUp(api, customer, account, 1_000);
    const parked = await eventually(
      async () => (await api.get('/admin/dead-letters?context=feed', admin)).body.dead_letters as Array<Record<string, any>>,
      (l) => l.length === 1,
    );
    expect(parked[0]).toMatchObject({
      context: 'feed',
      event: 'ledger.transaction-created.v1',
      attempts: 3,
      error: 'injected failure (CLEAVE_EVENT_FAULTS)',
      replayed: null,
    });
    expect((await api.get(`/feed?account_id=${account}`, { token: customer.token })).body.items).toEqual([]);
    // Later events are not held up behind it.
    const second = await topUp(api, customer, account, 500);
    await eventually(
      async () =>
        (await api.get(`/feed?account_id=${account}`, { token: customer.token })).body.items.map(
          (i: { transaction_id: string }) => i.transaction_id,
        ),
      (ids) => ids.includes(second.id),
    );

    expect((await api.get('/admin/dead-letters?context=feed', { token: customer.token })).status).toBe(401);
    expect((await api.get('/admin/dead-letters?context=ledger', admin)).status).toBe(400);

    const run = (...args: string[]) =>
      promisify(execFile)(process.execPath, [DEAD_LETTERS_CLI, ...args], {
        env: { ...process.env, CLEAVE_URL: bank.url, CLEAVE_ADMIN_SECRET: admin.token },
      });
    expect((await run('list', 'feed')).stdout).toContain(parked[0]!.id);
    expect((await run('replay', 'feed', parked[0]!.id)).stdout).toContain(`replayed ${parked[0]!.id}`);
    const ids = (await api.get(`/feed?account_id=${account}`, { token: customer.token })).body.items.map(
      (i: { transaction_id: string }) => i.transaction_id,
    );
    expect(ids.sort()).toEqual([tx.id, second.id].sort());
    expect((await run('list', 'feed')).stdout).toContain('no dead letters in feed');
    const all = (await api.get('/admin/dead-letters?context=feed&include_replayed=true', admin)).body.dead_letters;
    expect(all).toEqual([expect.objectContaining({ id: parked[0]!.id, replayed: expect.any(String) })]);
    // Past the 200 a list holds, the next page starts after the last letter listed.
    const after = (id: string) => api.get(`/admin/dead-letters?context=feed&include_replayed=true&after=${id}`, admin);
    expect([(await after(parked[0]!.id)).status, (await after(parked[0]!.id)).body.dead_letters]).toEqual([200, []]);
    expect([(await after(`dlq_${'0'.repeat(22)}`)).status, (await after(`dlq_${'0'.repeat(22)}`)).body.code]).toEqual([404, 'not_found']);
    expect(Object.keys((await after('garbage')).body.params ?? {})).toEqual(['after']);
    expect((await run('list', 'feed', '--all', '--after', parked[0]!.id)).stdout).toContain(
      `no dead letters in feed after ${parked[0]!.id}`,
    );
  });
});
