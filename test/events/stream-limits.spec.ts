import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, startBank, type RunningBank } from '../support/cleave-http';
import { EventStream } from '../support/event-stream';
import { eventually, fundedCard } from '../http/customers';

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
