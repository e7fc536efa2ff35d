import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, startBank, type RunningBank } from '../support/cleave-http';
import { EventStream } from '../support/event-stream';
import { eventually, fundedCard, openAccount } from '../http/customers';

/**
 * A notification stream holds a connection, an open file, for its token's life. An attack drill opened
 * 2,970 from one customer in 25 s (the rate limit bounds how fast, not how many): at that pace one customer
 * takes a server's open files in minutes, and then nobody connects.
 */
describe('notification streams, as many as one account or one server may hold', () => {
  let bank: RunningBank;
  let api: Api;

  beforeAll(async () => {
    bank = await startBank('monolith', 'sqlite', { CLEAVE_STREAMS_PER_ACCOUNT: '2', CLEAVE_MAX_STREAMS: '3' });
    api = new Api(bank.url);
  });
  afterAll(async () => {
    await bank?.stop();
  });

  it('refuses a stream past the account cap, then past the server cap, and takes one again once another closes', async () => {
    const ada = await fundedCard(api, 0);
    const bob = await fundedCard(api, 0);
    const cat = await fundedCard(api, 0);
    const url = (who: typeof ada) => `${bank.url}/notifications/stream?account_id=${who.account}`;
    const refusal = async (who: typeof ada) => {
      const answer = await api.get(`/notifications/stream?account_id=${who.account}`, { token: who.customer.token });
      return `${answer.status} ${answer.body.code}`;
    };
    const open = [await EventStream.open(url(ada), ada.customer.token), await EventStream.open(url(ada), ada.customer.token)];
    try {
      expect(await refusal(ada)).toBe('429 too_many_requests.too_many_streams');
      open.push(await EventStream.open(url(bob), bob.customer.token));
      const full = await api.get(`/notifications/stream?account_id=${cat.account}`, { token: cat.customer.token });
      expect([full.status, full.body.code, full.headers.get('retry-after')]).toEqual([503, 'service_unavailable.streams_full', '1']);
      open.shift()!.close();
      const again = await eventually(
        () => EventStream.open(url(cat), cat.customer.token).catch(() => undefined),
        (stream) => stream !== undefined,
      );
      open.push(again!);
      expect(await refusal(bob)).toBe('503 service_unavailable.streams_full');
    } finally {
      for (const stream of open) stream.close();
    }
  });
});

// An attack drill's customer opened twenty accounts and held every stream a server took (accounts cost nothing).
describe('notification streams, as many as one customer may hold across their accounts', () => {
  let bank: RunningBank;
  let api: Api;

  beforeAll(async () => {
    bank = await startBank('monolith', 'sqlite', { CLEAVE_STREAMS_PER_ACCOUNT: '2', CLEAVE_STREAMS_PER_CUSTOMER: '3' });
    api = new Api(bank.url);
  });
  afterAll(async () => {
    await bank?.stop();
  });

  it("refuses a customer's stream past the customer cap on an account still under its own", async () => {
    const ada = await fundedCard(api, 0);
    const second = await openAccount(api, ada.customer);
    const url = (account: string) => `${bank.url}/notifications/stream?account_id=${account}`;
    const open = [
      await EventStream.open(url(ada.account), ada.customer.token),
      await EventStream.open(url(ada.account), ada.customer.token),
      await EventStream.open(url(second), ada.customer.token),
    ];
    try {
      const refused = await api.get(`/notifications/stream?account_id=${second}`, { token: ada.customer.token });
      expect(`${refused.status} ${refused.body.code}`).toBe('429 too_many_requests.too_many_streams');
      // Another customer is not held to Ada's count.
      const bob = await fundedCard(api, 0);
      open.push(await EventStream.open(url(bob.account), bob.customer.token));
    } finally {
      for (const stream of open) stream.close();
    }
  });
});
