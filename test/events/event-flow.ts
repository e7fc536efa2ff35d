import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, startBank, type Layout, type RunningBank, type Storage } from '../support/cleave-http';
import { EventStream } from '../support/event-stream';
import { signatureIsValid, WebhookReceiver } from '../support/webhook-receiver';
import { eventually, fundedCard, NETWORK_SECRET } from '../http/customers';

const BRIGHTBIRD = { name: 'Brightbird Espresso', mcc: '5814', city: 'London', country: 'GB' };

/**
 * The event-driven half of the bank, end to end over HTTP with real processes: a card authorisation becomes a
 * transaction, a feed item, a notification with the day's running total (listed and streamed live), and a
 * signed webhook delivered to a real HTTP receiver that first answers 500.
 */
export function eventFlowSuite(layout: Layout, storage: Storage): void {
  describe(`events end to end, ${layout} on ${storage}`, () => {
    let bank: RunningBank;
    let api: Api;
    let receiver: WebhookReceiver;
    const network = { token: NETWORK_SECRET, json: true };
    const nid = () => `ntx-${randomBytes(6).toString('hex')}`;
    const authorise = (cardToken: string, amount: number, networkTransactionId = nid()) =>
      api.post(
        '/network/authorisations',
        { card_token: cardToken, amount, currency: 'GBP', merchant: BRIGHTBIRD, network_transaction_id: networkTransactionId },
        network,
      );

    beforeAll(async () => {
      // The receiver fails the first two tries: the first delivery must be retried to get through.
      receiver = await WebhookReceiver.start([500, 500]);
      bank = await startBank(layout, storage, {
        CLEAVE_WEBHOOKS_ALLOW_PRIVATE: 'true',
        CLEAVE_WEBHOOK_BACKOFF_MS: '50',
        CLEAVE_AUTHORISATION_BUDGET_MS: '20000',
        CLEAVE_STREAM_REPLAY_LIMIT: '3',
      });
      api = new Api(bank.url);
    });
    afterAll(async () => {
      await bank?.stop();
      await receiver?.close();
    });

    it('turns card payments into transactions, feed items, notifications with the running total, and signed webhooks', async () => {
      const { customer, account, cardToken } = await fundedCard(api, 10_000);
      const token = customer.token;
      const hook = await api.post('/webhooks', { account_id: account, url: receiver.url }, { token });
      expect(hook.status).toBe(200);
      const secret: string = hook.body.webhook.secret;
      expect(secret).toMatch(/^whsec_/);
      const stream = await EventStream.open(`${bank.url}/notifications/stream?account_id=${account}`, token);
      try {
        const coffee = nid();
        expect((await authorise(cardToken, 1915, coffee)).body.approved).toBe(true);
        expect((await authorise(cardToken, 2440)).body.approved).toBe(true);
        const refused = await authorise(cardToken, 6000);
        expect(refused.body).toMatchObject({ approved: false, decline_reason: 'insufficient_funds' });

        // The statement has them at once: the ledger owns it.
        const listed = (await api.get(`/transactions?account_id=${account}`, { token })).body.transactions as Array<Record<string, any>>;
        expect(listed.filter((t) => t.merchant && !t.decline_reason).map((t) => t.amount)).toEqual([-1915, -2440]);

        const expected = [
          "☕ £19.15 at Brightbird Espresso. You've spent £19.15 today.",
          "☕ £24.40 at Brightbird Espresso. You've spent £43.55 today.",
          'Your card was declined at Brightbird Espresso: insufficient funds',
        ];
        const notifications = await eventually(
          async () => (await api.get(`/notifications?account_id=${account}`, { token })).body.notifications as Array<Record<string, any>>,
          (list) => list.length === 3,
        );
        expect(notifications.map((n) => n.text).reverse()).toEqual(expected);
        await eventually(
          async () => stream.events.length,
          (n) => n >= 3,
        );
        expect(stream.events.map((e) => JSON.parse(e.data).text)).toEqual(expected);
        expect(stream.events.every((e) => e.event === 'notification')).toBe(true);

        const feed = (await api.get(`/feed?account_id=${account}`, { token })).body.items as Array<Record<string, any>>;
        expect(feed.map((i) => [i.title, i.body])).toEqual([
          ['☕ Brightbird Espresso', '£60.00 declined'],
          ['☕ Brightbird Espresso', '-£24.40'],
          ['☕ Brightbird Espresso', '-£19.15'],
          ['Top up', '+£100.00'],
        ]);

        // Every card transaction reaches the receiver once, signed; the first only after two 500s.
        const cardIds = await eventually(
          async () =>
            (await api.get(`/transactions?account_id=${account}`, { token })).body.transactions
              .filter((t: Record<string, any>) => t.merchant)
              .map((t: Record<string, any>) => t.id) as string[],
          (ids) => ids.length === 3,
        );
        await eventually(
          async () => receiver.accepted().filter((d) => d.type === 'transaction.created' && cardIds.includes(d.data.id)).length,
          (n) => n === 3,
        );
        const created = receiver.accepted().filter((d) => d.type === 'transaction.created' && cardIds.includes(d.data.id));
        expect(new Set(created.map((d) => d.data.id)).size).toBe(3);
        expect(created.find((d) => d.data.id === cardIds[0])!.data).toMatchObject({
          amount: -1915,
          currency: 'GBP',
          account_id: account,
          merchant: { name: 'Brightbird Espresso', emoji: '☕' },
        });
        for (const r of receiver.received) expect(signatureIsValid(secret, r.headers['cleave-signature'] as string, r.body)).toBe(true);
        // The ids to deduplicate on are in the signed body too: a header changed in transit can't make a replay new.
        for (const r of receiver.received) {
          const { delivery_id, event_id } = JSON.parse(r.body) as { delivery_id: string; event_id: string };
          expect([delivery_id, event_id]).toEqual([r.headers['cleave-delivery-id'], r.headers['cleave-event-id']]);
        }
        // The two 500s were retried, under the same delivery id, until accepted.
        const refusedIds = receiver.received.filter((r) => r.status === 500).map((r) => r.headers['cleave-delivery-id']);
        expect(refusedIds).toHaveLength(2);
        for (const id of refusedIds)
          expect(receiver.received.some((r) => r.status === 200 && r.headers['cleave-delivery-id'] === id)).toBe(true);

        const deliveries = (await api.get(`/webhooks/${hook.body.webhook.id}/deliveries`, { token })).body.deliveries as Array<
          Record<string, any>
        >;
        const codes = deliveries.map((d) => d.attempts.map((a: Record<string, any>) => a.status_code));
        expect(codes.flat().filter((c: number) => c === 500)).toHaveLength(2);
        expect(codes.every((c: number[]) => c.at(-1) === 200)).toBe(true);
        expect(deliveries.every((d) => d.status === 'delivered')).toBe(true);

        // Clearing settles the payment: transaction.updated follows.
        expect(
          (
            await api.post(
              '/network/presentments',
              { presentment_id: nid(), network_transaction_id: coffee, amount: 1915, currency: 'GBP' },
              network,
            )
          ).status,
        ).toBe(200);
        const updated = await eventually(
          async () => receiver.accepted().find((d) => d.type === 'transaction.updated' && d.data.id === cardIds[0]),
          (d) => d !== undefined,
        );
        expect(updated!.data.settled).not.toBe('');
      } finally {
        stream.close();
      }
    });

    // A stream dropped (a gateway restarted, a phone changed networks) lost for good what happened until the
    // client was back; EventSource reconnects with the id of the last event it heard.
    it('sends a client reconnecting with Last-Event-ID what it missed, in order and once, then what comes next', async () => {
      const { customer, account, cardToken } = await fundedCard(api, 10_000);
      const token = customer.token;
      const url = `${bank.url}/notifications/stream?account_id=${account}`;
      const approve = async (amount: number) => expect((await authorise(cardToken, amount)).body.approved).toBe(true);
      const listed = (count: number) =>
        eventually(
          async () => (await api.get(`/notifications?account_id=${account}`, { token })).body.notifications as Array<{ id: string }>,
          (list) => list.length === count,
        );

      const first = await EventStream.open(url, token);
      await approve(100);
      const heard = (
        await eventually(
          async () => first.events,
          (events) => events.length === 1,
        )
      )[0]!.id!;
      first.close();
      await approve(200);
      await approve(300);
      const [third, second] = await listed(3);

      const back = await EventStream.open(url, token, { 'last-event-id': heard });
      try {
        await eventually(
          async () => back.events.length,
          (n) => n >= 2,
        );
        await approve(400);
        const [fourth] = await listed(4);
        await eventually(
          async () => back.events.length,
          (n) => n >= 3,
        );
        expect(back.events.map((e) => [e.event, e.id])).toEqual([
          ['notification', second!.id],
          ['notification', third!.id],
          ['notification', fourth!.id],
        ]);
        expect(JSON.parse(back.events[0]!.data).text).toMatch(/^☕ £2\.00 at Brightbird Espresso\. You've spent £3\.00 today\.$/);

        // A client that can't set headers names it in the query.
        const fromQuery = await EventStream.open(`${url}&last_event_id=${third!.id}`, token);
        await eventually(
          async () => fromQuery.events.length,
          (n) => n >= 1,
        );
        fromQuery.close();
        expect(fromQuery.events.map((e) => e.id)).toEqual([fourth!.id]);

        // This bank sends 3 at most at once: a client that missed 3 is told to come back for more.
        const behind = await EventStream.open(url, token, { 'last-event-id': heard });
        await behind.ended;
        expect(behind.events.map((e) => e.event)).toEqual(['notification', 'notification', 'notification', 'more']);
        expect(behind.events.slice(0, 3).map((e) => e.id)).toEqual([second!.id, third!.id, fourth!.id]);

        // An id the account never had replays nothing; one that is no notification id is refused.
        const stranger = await EventStream.open(url, token, { 'last-event-id': `notif_${'0'.repeat(22)}` });
        await approve(500);
        await eventually(
          async () => stranger.events.length,
          (n) => n >= 1,
        );
        stranger.close();
        expect(stranger.events.map((e) => JSON.parse(e.data).text)).toEqual([expect.stringContaining('£5.00')]);
        const garbage = await api.get(`/notifications/stream?account_id=${account}`, { token, headers: { 'last-event-id': 'acc_x' } });
        expect([garbage.status, garbage.body.code, Object.keys(garbage.body.params)]).toEqual([
          400,
          'bad_request.bad_header',
          ['last-event-id'],
        ]);
        const badQuery = await api.get(`/notifications/stream?account_id=${account}&last_event_id=x`, { token });
        expect([badQuery.status, Object.keys(badQuery.body.params)]).toEqual([400, ['last_event_id']]);
      } finally {
        back.close();
      }
    });

    // An item said what was authorised for good: a coffee reversed still read -£10.00, one cleared with a tip
    // the amount before it.
    it("keeps a card payment's feed item saying what it now is: cleared for more, partly reversed, reversed", async () => {
      const { customer, account, cardToken } = await fundedCard(api, 10_000);
      const token = customer.token;
      const [tipped, halved, withdrawn] = [nid(), nid(), nid()];
      for (const id of [tipped, halved, withdrawn]) expect((await authorise(cardToken, 1_000, id)).body.approved).toBe(true);
      const network = (path: string, body: Record<string, unknown>) =>
        api.post(path, body, { token: NETWORK_SECRET, json: true }).then((reply) => expect(reply.status).toBe(200));
      await network('/network/presentments', {
        presentment_id: `p-${tipped}`,
        network_transaction_id: tipped,
        amount: 1_200,
        currency: 'GBP',
      });
      await network('/network/reversals', { reversal_id: `r-${halved}`, network_transaction_id: halved, amount: 400 });
      await network('/network/reversals', { reversal_id: `r-${withdrawn}`, network_transaction_id: withdrawn });
      const bodies = await eventually(
        async () =>
          ((await api.get(`/feed?account_id=${account}`, { token })).body.items as Array<{ body: string }>).map((item) => item.body),
        (list) => list.length === 4 && list[0] === '£10.00 reversed' && list[1] === '-£6.00' && list[2] === '-£12.00',
      );
      expect(bodies).toEqual(['£10.00 reversed', '-£6.00', '-£12.00', '+£100.00']);
    });

    it('posts custom feed items, and refuses bad ones naming the field', async () => {
      const { customer, account } = await fundedCard(api, 100);
      const token = customer.token;
      // The top-up's own item arrives by event; wait for it so "newest first" is the posted item, not a race.
      await eventually(
        async () => (await api.get(`/feed?account_id=${account}`, { token })).body.items,
        (items: { type: string }[]) => items.some((i) => i.type === 'transaction'),
      );
      const posted = await api.post(
        '/feed',
        {
          account_id: account,
          type: 'basic',
          // Monzo's colours are taken (and not kept: there is no app to paint).
          params: {
            title: 'Trip to Lisbon',
            body: 'Have fun',
            image_url: 'https://example.com/lisbon.png',
            background_color: '#FCF1EE',
            title_color: '#333333',
            body_color: '#FE7B6B',
          },
          url: 'https://example.com/trip',
        },
        { token },
      );
      expect(posted.status).toBe(200);
      const feed = (await api.get(`/feed?account_id=${account}&limit=1`, { token })).body.items;
      expect(feed[0]).toMatchObject({
        type: 'basic',
        title: 'Trip to Lisbon',
        body: 'Have fun',
        image_url: 'https://example.com/lisbon.png',
        url: 'https://example.com/trip',
      });
      const bad = await api.post(
        '/feed',
        { account_id: account, type: 'basic', params: { title: '', image_url: 'javascript:alert(1)', body_color: 'red' } },
        { token },
      );
      expect(bad.status).toBe(400);
      expect(Object.keys(bad.body.params).sort()).toEqual(['params[body_color]', 'params[image_url]', 'params[title]']);
      expect(
        (await api.post('/feed', { account_id: account, type: 'fancy', params: { title: 'x' } }, { token })).body.params,
      ).toHaveProperty('type');
    });

    it("manages webhooks as Monzo's API does, and keeps one customer's from another", async () => {
      const ada = await fundedCard(api, 100);
      const bob = await fundedCard(api, 100);
      const made = (await api.post('/webhooks', { account_id: ada.account, url: receiver.url }, { token: ada.customer.token })).body
        .webhook;
      const listed = (await api.get(`/webhooks?account_id=${ada.account}`, { token: ada.customer.token })).body.webhooks;
      expect(listed).toEqual([expect.objectContaining({ id: made.id, url: receiver.url, status: 'active' })]);
      expect(listed[0]).not.toHaveProperty('secret');
      expect((await api.get(`/webhooks?account_id=${ada.account}`, { token: bob.customer.token })).status).toBe(404);
      expect((await api.call('DELETE', `/webhooks/${made.id}`, undefined, { token: bob.customer.token })).status).toBe(404);
      expect((await api.get(`/webhooks/${made.id}/deliveries`, { token: bob.customer.token })).status).toBe(404);
      expect((await api.post('/webhooks', { account_id: bob.account, url: receiver.url }, { token: ada.customer.token })).status).toBe(404);
      expect((await api.call('DELETE', `/webhooks/${made.id}`, undefined, { token: ada.customer.token })).status).toBe(200);
      expect((await api.get(`/webhooks?account_id=${ada.account}`, { token: ada.customer.token })).body.webhooks).toEqual([]);
      expect(
        (await api.post('/webhooks', { account_id: ada.account, url: 'ftp://example.com/x' }, { token: ada.customer.token })).body.params,
      ).toHaveProperty('url');
    });
  });
}
