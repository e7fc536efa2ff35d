import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, startBank, type Layout, type RunningBank } from '../support/cleave-http';
import { balanceOf, eventually, NETWORK_SECRET, openAccount, signUp, topUp } from './customers';

const BRIGHTBIRD = { name: 'Brightbird Espresso', mcc: '5814', city: 'London', country: 'GB' };
const network = { token: NETWORK_SECRET, json: true };

async function fundedCard(api: Api, amount: number) {
  const customer = await signUp(api);
  const account = await openAccount(api, customer);
  await topUp(api, customer, account, amount);
  const card = (await api.post('/cards', { account_id: account }, { token: customer.token })).body;
  return { customer, account, card };
}

/** Authorisations against time: a ledger too slow for the decision budget, and holds nobody presents. */
export function cardDeadlineSuite(layout: Layout): void {
  describe(`authorisations against the clock, ${layout}`, () => {
    describe('a ledger slower than the decision budget', () => {
      let bank: RunningBank;
      let api: Api;
      beforeAll(async () => {
        // The ledger places the hold in time but its answer comes back 1.5 s late: the worst case, a hold
        // that exists for a payment the network will be told was declined.
        bank = await startBank(layout, 'sqlite', {
          CLEAVE_FAULTS: 'ledger.place-hold=reply-delay:1500',
          CLEAVE_AUTHORISATION_BUDGET_MS: '800',
          CLEAVE_CARD_FOLLOWUP_MS: '300',
        });
        api = new Api(bank.url);
      });
      afterAll(async () => {
        await bank?.stop();
      });

      it('declines as issuer_unavailable within the budget, and leaves no money held', async () => {
        const f = await fundedCard(api, 10_000);
        const started = Date.now();
        const decision = await api.post(
          '/network/authorisations',
          {
            card_token: f.card.token,
            amount: 1_915,
            currency: 'GBP',
            merchant: BRIGHTBIRD,
            network_transaction_id: `slow-${randomBytes(4).toString('hex')}`,
          },
          network,
        );
        const took = Date.now() - started;
        expect(decision.body).toMatchObject({ approved: false, decline_reason: 'issuer_unavailable' });
        // 800 ms budget; the rest is slack for a loaded machine, not a measurement.
        expect(took).toBeLessThan(1_400);
        const after = await eventually(
          () => balanceOf(api, f.customer, f.account),
          (b) => b.balance === 10_000,
        );
        expect(after).toMatchObject({ balance: 10_000, total_balance: 10_000, spend_today: 0 });
        const list = (await api.get(`/transactions?account_id=${f.account}`, { token: f.customer.token })).body.transactions as Array<{
          status: string;
          amount: number;
        }>;
        expect(list.filter((t) => t.amount < 0 && t.status === 'pending')).toEqual([]);
      });
    });

    // A money drill sent a payment and, while its hold was being placed, the network's retry with 600 ms to
    // decide: the retry was declined, the first attempt approved after it, and the money stayed held for a
    // payment the network had last been told was declined.
    describe('a retry that has less time than the first attempt needs', () => {
      let bank: RunningBank;
      let api: Api;
      beforeAll(async () => {
        bank = await startBank(layout, 'sqlite', { CLEAVE_FAULTS: 'ledger.place-hold=delay:800', CLEAVE_CARD_FOLLOWUP_MS: '300' });
        api = new Api(bank.url);
      });
      afterAll(async () => {
        await bank?.stop();
      });

      it('is declined, and the first attempt, whichever way it went, holds nothing after it', async () => {
        const f = await fundedCard(api, 10_000);
        const id = `retried-${randomBytes(4).toString('hex')}`;
        const authorise = (headers: Record<string, string> = {}) =>
          api.post(
            '/network/authorisations',
            { card_token: f.card.token, amount: 1_000, currency: 'GBP', merchant: BRIGHTBIRD, network_transaction_id: id },
            { ...network, headers },
          );
        const first = authorise();
        // Only an order to try for: the retry then finds the first attempt deciding. Either order must end the same.
        await new Promise((resolve) => setTimeout(resolve, 150));
        const retry = await authorise({ 'request-timeout-ms': '600' });
        expect(retry.body).toMatchObject({ approved: false, decline_reason: 'issuer_unavailable' });
        await first;
        // The last word the network had was "declined": that stands, for later retries and for the money.
        expect((await authorise()).body).toMatchObject({ approved: false, decline_reason: 'issuer_unavailable' });
        await eventually(
          () => balanceOf(api, f.customer, f.account),
          (b) => b.balance === 10_000 && b.spend_today === 0,
        );
      });
    });

    describe('a ledger slow to clear', () => {
      let bank: RunningBank;
      let api: Api;
      beforeAll(async () => {
        bank = await startBank(layout, 'sqlite', { CLEAVE_FAULTS: 'ledger.post-hold=delay:2000,ledger.void-hold=delay:2000' });
        api = new Api(bank.url);
      });
      afterAll(async () => {
        await bank?.stop();
      });

      // Cards' database is never held across a call to the ledger: while one presentment (or reversal) waits
      // for it, other payments are decided. (They queued behind it for the whole wait before.)
      it.each(['presentment', 'reversal'] as const)('decides other payments while a %s waits for the ledger', async (kind) => {
        const f = await fundedCard(api, 10_000);
        const id = `slow-clear-${randomBytes(4).toString('hex')}`;
        const approved = await api.post(
          '/network/authorisations',
          { card_token: f.card.token, amount: 500, currency: 'GBP', merchant: BRIGHTBIRD, network_transaction_id: id },
          network,
        );
        expect(approved.body.approved).toBe(true);
        let waiting = true;
        const slow = (
          kind === 'presentment'
            ? api.post(
                '/network/presentments',
                { presentment_id: `p-${id}`, network_transaction_id: id, amount: 500, currency: 'GBP' },
                network,
              )
            : api.post('/network/reversals', { reversal_id: `r-${id}`, network_transaction_id: id }, network)
        ).finally(() => (waiting = false));
        let decidedMeanwhile = 0;
        while (waiting) {
          const decision = await api.post(
            '/network/authorisations',
            {
              card_token: `cardtok_${randomBytes(11).toString('hex')}`,
              amount: 100,
              currency: 'GBP',
              merchant: BRIGHTBIRD,
              network_transaction_id: `other-${randomBytes(6).toString('hex')}`,
            },
            network,
          );
          expect(decision.body).toMatchObject({ approved: false, decline_reason: 'invalid_card' });
          if (waiting) decidedMeanwhile++;
        }
        expect((await slow).status).toBe(200);
        expect(decidedMeanwhile).toBeGreaterThanOrEqual(3);
        const expected = kind === 'presentment' ? { balance: 9_500, total_balance: 9_500 } : { balance: 10_000, total_balance: 10_000 };
        expect(await balanceOf(api, f.customer, f.account)).toMatchObject(expected);
      });
    });

    describe('an authorisation never presented', () => {
      let bank: RunningBank;
      let api: Api;
      beforeAll(async () => {
        bank = await startBank(layout, 'sqlite', { CLEAVE_AUTHORISATION_EXPIRY_SECONDS: '1', CLEAVE_HOLD_SWEEP_MS: '200' });
        api = new Api(bank.url);
      });
      afterAll(async () => {
        await bank?.stop();
      });

      // Recorded within the request's own deadline, the abandonment of a network that asked for less time than
      // the reserve failed at once and waited for a retry, and the network's own retry meanwhile was approved.
      it('records the abandonment of a network that asked for less time than it takes: its retry is declined too', async () => {
        const f = await fundedCard(api, 10_000);
        const id = `hasty-${randomBytes(4).toString('hex')}`;
        const authorise = (headers: Record<string, string> = {}) =>
          api.post(
            '/network/authorisations',
            { card_token: f.card.token, amount: 700, currency: 'GBP', merchant: BRIGHTBIRD, network_transaction_id: id },
            { ...network, headers },
          );
        expect((await authorise({ 'request-timeout-ms': '1' })).body).toMatchObject({
          approved: false,
          decline_reason: 'issuer_unavailable',
        });
        expect((await authorise()).body).toMatchObject({ approved: false, decline_reason: 'issuer_unavailable' });
        expect((await balanceOf(api, f.customer, f.account)).balance).toBe(10_000);
        // Told to cards straight away, not left to the event's way round (which the deadline cut short too).
        expect(bank.output()).not.toContain(`cards could not take the abandonment of ${id}`);
      });

      it('expires and releases its hold; a late presentment is still cleared, as a force post', async () => {
        const f = await fundedCard(api, 10_000);
        const id = `expiring-${randomBytes(4).toString('hex')}`;
        expect(
          (
            await api.post(
              '/network/authorisations',
              { card_token: f.card.token, amount: 2_000, currency: 'GBP', merchant: BRIGHTBIRD, network_transaction_id: id },
              network,
            )
          ).body.approved,
        ).toBe(true);
        expect((await balanceOf(api, f.customer, f.account)).balance).toBe(8_000);
        await eventually(
          () => balanceOf(api, f.customer, f.account),
          (b) => b.balance === 10_000,
        );
        const held = (await api.get(`/transactions?account_id=${f.account}`, { token: f.customer.token })).body.transactions[1];
        expect(held).toMatchObject({ amount: -2_000, status: 'reversed', settled: '' });
        const late = await api.post(
          '/network/presentments',
          { presentment_id: `p-${id}`, network_transaction_id: id, amount: 2_000, currency: 'GBP' },
          network,
        );
        expect(late.body).toMatchObject({ status: 'force_posted', amount: 2_000 });
        expect((await balanceOf(api, f.customer, f.account)).balance).toBe(8_000);
      });

      // An approval nobody presented kept counting against the card's day after its hold expired: payments
      // were declined as over the daily limit for money never spent.
      it("stops counting an expired approval against its card's daily limit", async () => {
        const f = await fundedCard(api, 10_000);
        await api.put(`/cards/${f.card.id}/limits`, { per_day: 5_000 }, { token: f.customer.token });
        const authorise = (amount: number) =>
          api.post(
            '/network/authorisations',
            {
              card_token: f.card.token,
              amount,
              currency: 'GBP',
              merchant: BRIGHTBIRD,
              network_transaction_id: `limit-${randomBytes(6).toString('hex')}`,
            },
            network,
          );
        expect((await authorise(5_000)).body.approved).toBe(true);
        await eventually(
          async () => (await authorise(100)).body,
          (decision) => decision.approved === true,
          20_000,
        );
      });

      // Cards still has it approved, the ledger's hold is gone: the network gets cards' answer, not the ledger's.
      it('refuses to reverse an authorisation whose hold expired, as not reversible', async () => {
        const f = await fundedCard(api, 10_000);
        const id = `expired-reversal-${randomBytes(4).toString('hex')}`;
        const decision = await api.post(
          '/network/authorisations',
          { card_token: f.card.token, amount: 1_200, currency: 'GBP', merchant: BRIGHTBIRD, network_transaction_id: id },
          network,
        );
        expect(decision.body.approved).toBe(true);
        await eventually(
          () => balanceOf(api, f.customer, f.account),
          (b) => b.balance === 10_000,
        );
        const reversal = await api.post('/network/reversals', { reversal_id: `r-${id}`, network_transaction_id: id }, network);
        expect(reversal.status).toBe(409);
        expect(reversal.body.code).toBe('conflict.not_reversible');
        expect(reversal.body.message).not.toMatch(/hold_/);
        expect((await balanceOf(api, f.customer, f.account)).balance).toBe(10_000);
      });
    });
  });
}
