import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, startBank, type RunningBank } from '../support/cleave-http';
import { fundedCard, NETWORK_SECRET } from '../http/customers';

const LIMIT = 12;

/** Each access token has its own budget of API requests per window; the card network has none. */
describe('API rate limits', () => {
  let bank: RunningBank;
  let api: Api;
  beforeAll(async () => {
    bank = await startBank('monolith', 'sqlite', { CLEAVE_RATE_LIMIT_PER_TOKEN: String(LIMIT), CLEAVE_RATE_LIMIT_WINDOW_MS: '60000' });
    api = new Api(bank.url);
  }, 60_000);
  afterAll(async () => bank?.stop());

  it("refuses a token's requests past its budget with 429 in Monzo's shape, leaving other tokens and the network alone", async () => {
    const ada = await fundedCard(api, 10_000);
    const grace = await fundedCard(api, 10_000);
    const replies = [];
    // One budget across the API, whatever the route, and however the token's scheme is spelt.
    for (let i = 0; i < LIMIT + 2; i++) {
      replies.push(
        i % 2 === 0
          ? await api.get('/accounts', { token: ada.customer.token })
          : await api.get(`/balance?account_id=${ada.account}`, { headers: { authorization: `bearer  ${ada.customer.token}` } }),
      );
    }
    const refused = replies.filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(2);
    expect(replies.slice(0, replies.length - refused.length).every((r) => r.status === 200)).toBe(true);
    expect(refused[0]!.body.code).toBe('too_many_requests.rate_limit_exceeded');
    expect(refused[0]!.body.retry_after).toBeGreaterThanOrEqual(1);
    expect(Number(refused[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    expect((await api.get('/accounts', { token: grace.customer.token })).status).toBe(200);
    for (let i = 0; i < LIMIT + 2; i++) {
      const decision = await api.post(
        '/network/authorisations',
        {
          card_token: ada.cardToken,
          amount: 1,
          currency: 'GBP',
          merchant: { name: 'Kiosk', mcc: '5814', city: 'London', country: 'GB' },
          network_transaction_id: `rl-${randomBytes(6).toString('hex')}`,
        },
        { token: NETWORK_SECRET, json: true },
      );
      expect(decision.status).toBe(200);
    }
  });
});
