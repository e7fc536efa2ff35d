import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, startBank, type RunningBank } from '../support/cleave-http';
import { EventStream } from '../support/event-stream';
import { eventually, fundedCard, NETWORK_SECRET } from '../http/customers';

const HELD_MS = 3_000;

/**
 * The two ends of a reconnecting stream's replay that timing alone would decide, made certain by holding
 * the feed's list of notifications (CLEAVE_FAULTS): what happens while the replay is read waits behind it
 * and is sent once, and a replay the feed can't answer in time sends the client back instead of sending
 * only what comes next.
 */
describe('a notification stream replaying what a client missed while the feed is slow to answer', () => {
  let bank: RunningBank;
  let api: Api;
  const network = { token: NETWORK_SECRET, json: true };

  beforeAll(async () => {
    bank = await startBank('monolith', 'sqlite', {
      CLEAVE_FAULTS: `feed.list-notifications=delay:${HELD_MS}`,
      CLEAVE_HTTP_TIMEOUT_MS: '15000',
    });
    api = new Api(bank.url);
  });
  afterAll(async () => {
    await bank?.stop();
  });

  async function customerWithOneHeard() {
    const { customer, account, cardToken } = await fundedCard(api, 10_000);
    const url = `${bank.url}/notifications/stream?account_id=${account}`;
    const approve = async (amount: number) => {
      const answer = await api.post(
        '/network/authorisations',
        {
          card_token: cardToken,
          amount,
          currency: 'GBP',
          merchant: { name: 'Brightbird Espresso', mcc: '5814', city: 'London', country: 'GB' },
          network_transaction_id: `ntx-${randomBytes(6).toString('hex')}`,
        },
        network,
      );
      expect(answer.body.approved).toBe(true);
    };
    // A listener that never replays: it shows when the bank has told its streams of a notification.
    const watcher = await EventStream.open(url, customer.token);
    await approve(100);
    const [heard] = await eventually(
      async () => watcher.events,
      (events) => events.length === 1,
    );
    return { token: customer.token, url, approve, watcher, heard: heard!.id! };
  }

  it('holds back what arrives during the replay, sends it after, and what was both read and heard once', async () => {
    const { token, url, approve, watcher, heard } = await customerWithOneHeard();
    try {
      await approve(200);
      const back = await EventStream.open(url, token, { 'last-event-id': heard });
      try {
        // The feed reads only after HELD_MS, so this one is both heard live and read in the replay.
        await approve(300);
        await eventually(
          async () => watcher.events.length,
          (n) => n === 3,
        );
        expect(back.events).toEqual([]);
        await eventually(
          async () => back.events.length,
          (n) => n >= 2,
          HELD_MS * 4,
        );
        await approve(400);
        await eventually(
          async () => watcher.events.length,
          (n) => n === 4,
        );
        await eventually(
          async () => back.events.length,
          (n) => n >= 3,
        );
        expect(back.events.map((e) => e.id)).toEqual(watcher.events.slice(1).map((e) => e.id));
        expect(back.events.map((e) => JSON.parse(e.data).text)).toEqual([
          expect.stringContaining('£2.00 at'),
          expect.stringContaining('£3.00 at'),
          expect.stringContaining('£4.00 at'),
        ]);
      } finally {
        back.close();
      }
    } finally {
      watcher.close();
    }
  });

  it('sends the client back to reconnect when the feed does not answer the replay in time', async () => {
    const { token, url, approve, watcher, heard } = await customerWithOneHeard();
    try {
      await approve(200);
      const back = await EventStream.open(url, token, { 'last-event-id': heard, 'request-timeout-ms': '500' });
      try {
        await back.ended;
        expect(back.events.map((e) => [e.event, JSON.parse(e.data)])).toEqual([
          ['unavailable', { reason: 'replay_unavailable', retry_after_ms: 1_000 }],
        ]);
      } finally {
        back.close();
      }
    } finally {
      watcher.close();
    }
  });
});
