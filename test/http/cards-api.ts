import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, startBank, type Layout, type RunningBank, type Storage } from '../support/cleave-http';
import { balanceOf, eventually, NETWORK_SECRET, openAccount, signUp, topUp, type Customer } from './customers';

const BRIGHTBIRD = { name: 'Brightbird Espresso', mcc: '5814', city: 'London', country: 'GB' };

/** A card with money behind it, and the network's view of it. */
interface Funded {
  readonly customer: Customer;
  readonly account: string;
  readonly card: { id: string; token: string };
}

/**
 * Cards and the card network, end to end over HTTP: issuing and controls, every authorisation outcome,
 * clearing, reversals, refunds, duplicates, and who may call what.
 */
export function cardsApiSuite(layout: Layout, storage: Storage): void {
  describe(`cards and the card network, ${layout} on ${storage}`, () => {
    let bank: RunningBank;
    let api: Api;
    const network = { token: NETWORK_SECRET, json: true };
    let networkIds = 0;
    const nid = () => `ntx-${process.pid}-${++networkIds}-${randomBytes(3).toString('hex')}`;

    async function funded(amount = 10_000): Promise<Funded> {
      const customer = await signUp(api);
      const account = await openAccount(api, customer);
      if (amount > 0) await topUp(api, customer, account, amount);
      const card = await api.post('/cards', { account_id: account }, { token: customer.token });
      expect(card.status).toBe(201);
      return { customer, account, card: card.body };
    }

    const authorise = (cardToken: string, amount: number, networkTransactionId = nid(), merchant: object = BRIGHTBIRD) =>
      api.post(
        '/network/authorisations',
        { card_token: cardToken, amount, currency: 'GBP', merchant, network_transaction_id: networkTransactionId },
        network,
      );

    const transactions = async (f: Funded, expand = false) =>
      (await api.get(`/transactions?account_id=${f.account}${expand ? '&expand[]=merchant' : ''}`, { token: f.customer.token })).body
        .transactions as Array<Record<string, any>>;

    beforeAll(async () => {
      // A generous decision budget: these cases are about outcomes, and 200 simultaneous authorisations on a
      // loaded 2-core machine can take longer than 2 s (the deadline suites test the budget itself).
      bank = await startBank(layout, storage, { CLEAVE_AUTHORISATION_BUDGET_MS: '20000' });
      api = new Api(bank.url);
    });
    afterAll(async () => {
      await bank?.stop();
    });

    describe('cards', () => {
      it('issues a card showing only its last four digits, expiry and network token', async () => {
        const f = await funded(0);
        expect(f.card).toMatchObject({
          id: expect.stringMatching(/^card_/),
          account_id: f.account,
          last_digits: expect.stringMatching(/^\d{4}$/),
          expires: expect.stringMatching(/^\d{2}\/\d{4}$/),
          status: 'ACTIVE',
          token: expect.stringMatching(/^cardtok_/),
          limits: { per_transaction: null, per_day: null },
        });
        expect(JSON.stringify(f.card)).not.toMatch(/\d{12,19}/);
        const list = await api.get(`/cards?account_id=${f.account}`, { token: f.customer.token });
        expect(list.body.cards).toEqual([f.card]);
      });

      it('declines a frozen card as card_inactive, approves it again once unfrozen, and blocks a cancelled one for good', async () => {
        const f = await funded();
        const set = (status: string) => api.put(`/cards/${f.card.id}/status`, { status }, { token: f.customer.token });
        expect((await set('FROZEN')).body.status).toBe('FROZEN');
        expect((await authorise(f.card.token, 100)).body).toMatchObject({ approved: false, decline_reason: 'card_inactive' });
        expect((await set('ACTIVE')).body.status).toBe('ACTIVE');
        expect((await authorise(f.card.token, 100)).body.approved).toBe(true);
        expect((await set('CANCELLED')).body.status).toBe('CANCELLED');
        expect((await authorise(f.card.token, 100)).body).toMatchObject({ approved: false, decline_reason: 'card_blocked' });
        const revive = await set('ACTIVE');
        expect([revive.status, revive.body.code]).toEqual([409, 'conflict.card_cancelled']);
        const limits = await api.put(`/cards/${f.card.id}/limits`, { per_day: 1_000 }, { token: f.customer.token });
        expect([limits.status, limits.body.code]).toEqual([409, 'conflict.card_cancelled']);
      });

      it('enforces per-transaction and per-day limits, and 0 removes one', async () => {
        const f = await funded(100_000);
        const limits = await api.put(`/cards/${f.card.id}/limits`, { per_transaction: 5_000, per_day: 8_000 }, { token: f.customer.token });
        expect(limits.body.limits).toEqual({ per_transaction: 5_000, per_day: 8_000 });
        expect((await authorise(f.card.token, 5_001)).body).toMatchObject({ approved: false, decline_reason: 'spending_limit' });
        expect((await authorise(f.card.token, 5_000)).body.approved).toBe(true);
        expect((await authorise(f.card.token, 3_001)).body).toMatchObject({ approved: false, decline_reason: 'spending_limit' });
        expect((await authorise(f.card.token, 3_000)).body.approved).toBe(true);
        await api.put(`/cards/${f.card.id}/limits`, { per_day: 0 }, { token: f.customer.token });
        expect((await authorise(f.card.token, 4_000)).body.approved).toBe(true);
      });
    });

    describe('authorisations', () => {
      it('approves a payment: the money is held, and a pending transaction shows the merchant', async () => {
        const f = await funded(10_000);
        const decision = await authorise(f.card.token, 1_915);
        expect(decision.status).toBe(200);
        expect(decision.body).toMatchObject({ approved: true, authorisation_id: expect.stringMatching(/^auth_/) });
        expect(await balanceOf(api, f.customer, f.account)).toMatchObject({ balance: 8_085, spend_today: -1_915 });
        const [, payment] = await transactions(f, true);
        expect(payment).toMatchObject({
          amount: -1_915,
          description: 'Brightbird Espresso',
          category: 'eating_out',
          settled: '',
          amount_is_pending: true,
          scheme: 'mastercard',
          include_in_spending: true,
          categories: { eating_out: -1_915 },
        });
        // Monzo's whole merchant: pymonzo refuses a transaction list whose merchant lacks any of these.
        expect(payment!.merchant).toEqual({
          id: expect.stringMatching(/^merch_/),
          group_id: expect.stringMatching(/^grp_[0-9A-Za-z]{22}$/),
          name: 'Brightbird Espresso',
          category: 'eating_out',
          emoji: '☕',
          logo: '',
          address: { address: '', city: 'London', country: 'GB', postcode: '', region: '', latitude: 0, longitude: 0 },
          metadata: { mcc: '5814' },
        });
        expect((await transactions(f))[1]!.merchant).toMatch(/^merch_/);
      });

      it('declines for insufficient funds, and the decline appears in the transactions', async () => {
        const f = await funded(1_000);
        await api.put(`/cards/${f.card.id}/limits`, { per_day: 1_500 }, { token: f.customer.token });
        expect((await authorise(f.card.token, 1_001)).body).toMatchObject({ approved: false, decline_reason: 'insufficient_funds' });
        expect((await balanceOf(api, f.customer, f.account)).balance).toBe(1_000);
        // A declined payment takes nothing off the day's limit: what it had counted was given back.
        expect((await authorise(f.card.token, 1_000)).body.approved).toBe(true);
        const declined = await eventually(
          () => transactions(f),
          (list) => list.some((t) => t.decline_reason === 'INSUFFICIENT_FUNDS'),
        );
        expect(declined.find((t) => t.decline_reason)).toMatchObject({
          amount: -1_001,
          amount_is_pending: false,
          merchant: expect.stringMatching(/^merch_/),
        });
      });

      it('declines an unknown card as invalid_card, and another currency too', async () => {
        expect((await authorise('cardtok_0000000000000000000000', 100)).body).toMatchObject({
          approved: false,
          decline_reason: 'invalid_card',
        });
        const f = await funded();
        const euros = await api.post(
          '/network/authorisations',
          { card_token: f.card.token, amount: 100, currency: 'EUR', merchant: BRIGHTBIRD, network_transaction_id: nid() },
          network,
        );
        expect(euros.body).toMatchObject({ approved: false, decline_reason: 'invalid_card' });
      });

      it("refuses a category Cleave keeps for its own movements, which would take a payment out of the day's spending", async () => {
        const f = await funded(1_000);
        const refused = await authorise(f.card.token, 100, nid(), { ...BRIGHTBIRD, category: 'savings' });
        expect([refused.status, Object.keys(refused.body.params ?? {})]).toEqual([400, ['merchant[category]']]);
        expect((await authorise(f.card.token, 100, nid(), { ...BRIGHTBIRD, category: 'groceries' })).body.approved).toBe(true);
        expect(await balanceOf(api, f.customer, f.account)).toMatchObject({ balance: 900, spend_today: -100 });
      });

      it('gives the network’s retries the first decision, and holds the money once', async () => {
        const f = await funded(10_000);
        const id = nid();
        const decisions = await Promise.all(Array.from({ length: 5 }, () => authorise(f.card.token, 2_000, id)));
        expect(new Set(decisions.map((d) => d.body.authorisation_id)).size).toBe(1);
        expect(decisions.every((d) => d.body.approved)).toBe(true);
        expect((await authorise(f.card.token, 2_000, id)).body.authorisation_id).toBe(decisions[0]!.body.authorisation_id);
        expect((await balanceOf(api, f.customer, f.account)).balance).toBe(8_000);
      });

      it('rejects a malformed authorisation with the field named', async () => {
        const reply = await api.post(
          '/network/authorisations',
          { card_token: 'nope', amount: -1, currency: 'GBP', merchant: { name: 'X' }, network_transaction_id: nid() },
          network,
        );
        expect(reply.status).toBe(400);
        expect(Object.keys(reply.body.params).sort()).toEqual(['amount', 'card_token', 'merchant[mcc]']);
      });
    });

    describe('clearing', () => {
      it.each([
        ['equal to', 1_915, 1_915, 8_085],
        ['less than', 1_915, 1_500, 8_500],
        ['more than', 1_915, 2_300, 7_700],
      ])('posts a presentment %s the hold and settles the transaction', async (_label, held, presented, after) => {
        const f = await funded(10_000);
        const id = nid();
        expect((await authorise(f.card.token, held, id)).body.approved).toBe(true);
        const present = await api.post(
          '/network/presentments',
          { presentment_id: `p-${id}`, network_transaction_id: id, amount: presented, currency: 'GBP' },
          network,
        );
        expect(present.body).toMatchObject({ status: 'posted', amount: presented });
        expect(await balanceOf(api, f.customer, f.account)).toMatchObject({ balance: after });
        const payment = (await transactions(f))[1]!;
        expect(payment).toMatchObject({ amount: -presented, amount_is_pending: false });
        expect(payment.settled).not.toBe('');
        const replay = await api.post(
          '/network/presentments',
          { presentment_id: `p-${id}`, network_transaction_id: id, amount: presented, currency: 'GBP' },
          network,
        );
        expect(replay.body.status).toBe('posted');
        expect((await balanceOf(api, f.customer, f.account)).balance).toBe(after);
      });

      it('posts only what was held when more is presented than the account can cover', async () => {
        const f = await funded(1_000);
        const id = nid();
        await authorise(f.card.token, 900, id);
        const present = await api.post(
          '/network/presentments',
          { presentment_id: `p-${id}`, network_transaction_id: id, amount: 1_200, currency: 'GBP' },
          network,
        );
        expect(present.body).toMatchObject({ status: 'posted', amount: 900, reason: 'insufficient_funds_for_extra' });
        expect((await balanceOf(api, f.customer, f.account)).balance).toBe(100);
      });

      it('refuses a presentment in another currency than its authorisation, and takes nothing', async () => {
        const f = await funded(5_000);
        const id = nid();
        expect((await authorise(f.card.token, 1_000, id)).body.approved).toBe(true);
        const euros = await api.post(
          '/network/presentments',
          { presentment_id: `p-${id}`, network_transaction_id: id, amount: 1_000, currency: 'EUR' },
          network,
        );
        expect([euros.status, euros.body.code, euros.body.params]).toEqual([
          400,
          'bad_request.currency_mismatch',
          { currency: "currency must be GBP, the authorisation's" },
        ]);
        expect(await balanceOf(api, f.customer, f.account)).toMatchObject({ balance: 4_000, total_balance: 4_000 });
        expect((await transactions(f))[1]).toMatchObject({ amount: -1_000, amount_is_pending: true });
        const pounds = await api.post(
          '/network/presentments',
          { presentment_id: `p2-${id}`, network_transaction_id: id, amount: 1_000, currency: 'GBP' },
          network,
        );
        expect(pounds.body).toMatchObject({ status: 'posted', amount: 1_000 });
        expect((await balanceOf(api, f.customer, f.account)).balance).toBe(4_000);
        // A further clearing of it, forced, is held to its currency too (the ledger's refusal named its account).
        const again = await api.post(
          '/network/presentments',
          { presentment_id: `p3-${id}`, network_transaction_id: id, amount: 100, currency: 'EUR' },
          network,
        );
        expect([again.status, again.body.code, Object.keys(again.body.params ?? {})]).toEqual([
          400,
          'bad_request.currency_mismatch',
          ['currency'],
        ]);
        expect((await balanceOf(api, f.customer, f.account)).balance).toBe(4_000);
      });

      it('force-posts without an authorisation, and refuses one the account cannot cover', async () => {
        const f = await funded(1_000);
        const forced = await api.post(
          '/network/presentments',
          { presentment_id: nid(), card_token: f.card.token, merchant: BRIGHTBIRD, amount: 400, currency: 'GBP' },
          network,
        );
        expect(forced.body).toMatchObject({ status: 'force_posted', amount: 400 });
        expect((await balanceOf(api, f.customer, f.account)).balance).toBe(600);
        expect((await transactions(f))[1]).toMatchObject({ amount: -400, amount_is_pending: false, description: 'Brightbird Espresso' });
        const refused = await api.post(
          '/network/presentments',
          { presentment_id: nid(), card_token: f.card.token, merchant: BRIGHTBIRD, amount: 601, currency: 'GBP' },
          network,
        );
        expect(refused.body).toMatchObject({ status: 'rejected', reason: 'insufficient_funds' });
        expect((await balanceOf(api, f.customer, f.account)).balance).toBe(600);
        const anonymous = await api.post(
          '/network/presentments',
          { presentment_id: nid(), card_token: f.card.token, amount: 100, currency: 'GBP' },
          network,
        );
        expect([anonymous.status, anonymous.body.code, Object.keys(anonymous.body.params ?? {})]).toEqual([
          400,
          'bad_request.missing_param',
          ['merchant'],
        ]);
      });

      it('reverses part of a hold, then the rest; a repeated reversal changes nothing', async () => {
        const f = await funded(10_000);
        const id = nid();
        await authorise(f.card.token, 3_000, id);
        const partial = await api.post(
          '/network/reversals',
          { reversal_id: `r1-${id}`, network_transaction_id: id, amount: 1_000 },
          network,
        );
        expect(partial.body).toMatchObject({ status: 'partially_reversed', remaining: 2_000 });
        expect(await balanceOf(api, f.customer, f.account)).toMatchObject({ balance: 8_000 });
        // An amount that is no whole number is told so, not that it "must not be greater than" the largest.
        for (const amount of ['abc', 1.5]) {
          const bad = await api.post('/network/reversals', { reversal_id: `rx-${id}`, network_transaction_id: id, amount }, network);
          expect([amount, bad.status, bad.body.params]).toEqual([
            amount,
            400,
            { amount: expect.stringMatching(/must be an integer|must be a whole number/) },
          ]);
        }
        const again = await api.post('/network/reversals', { reversal_id: `r1-${id}`, network_transaction_id: id, amount: 1_000 }, network);
        expect(again.body).toEqual(partial.body);
        expect((await balanceOf(api, f.customer, f.account)).balance).toBe(8_000);
        const full = await api.post('/network/reversals', { reversal_id: `r2-${id}`, network_transaction_id: id }, network);
        expect(full.body).toMatchObject({ status: 'reversed', remaining: 0 });
        expect(await balanceOf(api, f.customer, f.account)).toMatchObject({ balance: 10_000, spend_today: 0 });
        expect((await transactions(f))[1]).toMatchObject({ status: 'reversed' });
      });

      it("counts what was cleared against the card's day, not what was authorised", async () => {
        const f = await funded(100_000);
        await api.put(`/cards/${f.card.id}/limits`, { per_day: 5_000 }, { token: f.customer.token });
        const id = nid();
        expect((await authorise(f.card.token, 3_000, id)).body.approved).toBe(true);
        const present = await api.post(
          '/network/presentments',
          { presentment_id: `p-${id}`, network_transaction_id: id, amount: 1_000, currency: 'GBP' },
          network,
        );
        expect(present.body).toMatchObject({ status: 'posted', amount: 1_000 });
        // 1,000 cleared: 4,000 more fits the day's 5,000.
        expect((await authorise(f.card.token, 4_000)).body.approved).toBe(true);
        expect((await authorise(f.card.token, 1)).body).toMatchObject({ approved: false, decline_reason: 'spending_limit' });
      });

      it('approves an authorisation that comes after its own clearing (a force post) and holds nothing more', async () => {
        const f = await funded(10_000);
        const id = nid();
        const forcePost = (presentmentId: string) =>
          api.post(
            '/network/presentments',
            {
              presentment_id: presentmentId,
              network_transaction_id: id,
              card_token: f.card.token,
              merchant: BRIGHTBIRD,
              amount: 1_000,
              currency: 'GBP',
            },
            network,
          );
        const forced = await forcePost(`p-${id}`);
        expect(forced.body).toMatchObject({ status: 'force_posted', amount: 1_000 });
        const late = await authorise(f.card.token, 1_000, id);
        expect(late.body.approved).toBe(true);
        expect((await transactions(f)).find((t) => t.id === late.body.transaction_id)).toMatchObject({
          amount: -1_000,
          amount_is_pending: false,
        });
        expect(await balanceOf(api, f.customer, f.account)).toMatchObject({ balance: 9_000, total_balance: 9_000 });
        // Presented again, it is a second clearing, not the first one's hold posted.
        const again = await forcePost(`p2-${id}`);
        expect(again.body.status).toBe('force_posted');
        expect((await balanceOf(api, f.customer, f.account)).balance).toBe(8_000);
        expect((await transactions(f)).filter((t) => t.amount === -1_000)).toHaveLength(2);
      });

      it('releases exactly what partial reversals at once ask for, and the transaction shows what is still held', async () => {
        const f = await funded(10_000);
        const id = nid();
        await authorise(f.card.token, 4_900, id);
        const reversals = await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            api.post('/network/reversals', { reversal_id: `r${i}-${id}`, network_transaction_id: id, amount: 300 }, network),
          ),
        );
        expect(reversals.map((r) => r.status)).toEqual(Array(12).fill(200));
        expect(await balanceOf(api, f.customer, f.account)).toMatchObject({ balance: 10_000 - 1_300, spend_today: -1_300 });
        expect((await transactions(f))[1]).toMatchObject({ amount: -1_300, amount_is_pending: true });
        expect(Math.min(...reversals.map((r) => r.body.remaining as number))).toBe(1_300);
      });

      // Made into idempotency keys, ids a transport between processes could not carry were taken in one
      // process and refused across NATS (a payment approved there could not be refunded).
      it('refuses ids that are not printable ASCII, naming the field, in every placement alike', async () => {
        const f = await funded(1_000);
        const spaced = await authorise(f.card.token, 100, 'ntx café 1');
        expect([spaced.status, spaced.body.params]).toEqual([
          400,
          { network_transaction_id: 'network_transaction_id must be 1 to 100 printable ASCII characters, without spaces' },
        ]);
        const presentment = await api.post(
          '/network/presentments',
          { presentment_id: 'pres é', card_token: f.card.token, merchant: BRIGHTBIRD, amount: 100, currency: 'GBP' },
          network,
        );
        expect([presentment.status, Object.keys(presentment.body.params ?? {})]).toEqual([400, ['presentment_id']]);
      });

      it("refuses a refund or force post in another currency than the card's, naming the field and not the account", async () => {
        const f = await funded(1_000);
        const refund = await api.post(
          '/network/refunds',
          { network_transaction_id: nid(), card_token: f.card.token, amount: 100, currency: 'EUR', merchant: BRIGHTBIRD },
          network,
        );
        expect([refund.status, refund.body.code, refund.body.params]).toEqual([
          400,
          'bad_request.currency_mismatch',
          { currency: "currency must be GBP, the card's" },
        ]);
        expect(JSON.stringify(refund.body)).not.toContain(f.account);
        const forced = await api.post(
          '/network/presentments',
          { presentment_id: nid(), card_token: f.card.token, merchant: BRIGHTBIRD, amount: 100, currency: 'EUR' },
          network,
        );
        expect([forced.status, forced.body.params]).toEqual([400, { currency: "currency must be GBP, the card's" }]);
        expect((await balanceOf(api, f.customer, f.account)).balance).toBe(1_000);
      });

      it('refuses to reverse a declined authorisation, as not reversible', async () => {
        const id = nid();
        expect((await authorise(`cardtok_${'0'.repeat(22)}`, 100, id)).body).toMatchObject({
          approved: false,
          decline_reason: 'invalid_card',
        });
        const reversal = await api.post('/network/reversals', { reversal_id: `r-${id}`, network_transaction_id: id }, network);
        expect([reversal.status, reversal.body.code]).toEqual([409, 'conflict.not_reversible']);
      });

      it('credits a refund with its merchant', async () => {
        const f = await funded(1_000);
        const refund = await api.post(
          '/network/refunds',
          { network_transaction_id: nid(), card_token: f.card.token, amount: 350, currency: 'GBP', merchant: BRIGHTBIRD },
          network,
        );
        expect(refund.status).toBe(200);
        expect((await balanceOf(api, f.customer, f.account)).balance).toBe(1_350);
        expect((await transactions(f, true))[1]).toMatchObject({ amount: 350, merchant: { name: 'Brightbird Espresso' } });
      });
    });

    describe('concurrency', () => {
      it('200 simultaneous authorisations never overdraw the balance', async () => {
        const f = await funded(10_000);
        const decisions = await Promise.all(Array.from({ length: 200 }, () => authorise(f.card.token, 100)));
        expect(decisions.filter((d) => d.body.approved)).toHaveLength(100);
        expect(decisions.filter((d) => !d.body.approved).every((d) => d.body.decline_reason === 'insufficient_funds')).toBe(true);
        expect((await balanceOf(api, f.customer, f.account)).balance).toBe(0);
      });

      it('200 simultaneous authorisations never pass the daily limit', async () => {
        const f = await funded(100_000);
        await api.put(`/cards/${f.card.id}/limits`, { per_day: 5_000 }, { token: f.customer.token });
        const decisions = await Promise.all(Array.from({ length: 200 }, () => authorise(f.card.token, 100)));
        expect(decisions.filter((d) => d.body.approved)).toHaveLength(50);
        expect(decisions.filter((d) => !d.body.approved).every((d) => d.body.decline_reason === 'spending_limit')).toBe(true);
        expect((await balanceOf(api, f.customer, f.account)).balance).toBe(95_000);
      });
    });

    describe('who may call what', () => {
      it('a customer cannot see or change another customer’s cards', async () => {
        const [ada, bob] = [await funded(), await funded()];
        const as = { token: bob.customer.token };
        expect((await api.get(`/cards?account_id=${ada.account}`, as)).status).toBe(404);
        expect((await api.post('/cards', { account_id: ada.account }, as)).status).toBe(404);
        expect((await api.put(`/cards/${ada.card.id}/status`, { status: 'FROZEN' }, as)).status).toBe(404);
        expect((await api.put(`/cards/${ada.card.id}/limits`, { per_transaction: 1 }, as)).status).toBe(404);
        expect((await api.get(`/cards?account_id=${ada.account}`, { token: ada.customer.token })).body.cards[0]).toMatchObject({
          status: 'ACTIVE',
          limits: { per_transaction: null },
        });
      });

      it('a customer token cannot call the network, and the network credential cannot call customer routes', async () => {
        const f = await funded();
        const asCustomer = await api.post(
          '/network/authorisations',
          { card_token: f.card.token, amount: 1, currency: 'GBP', merchant: BRIGHTBIRD, network_transaction_id: nid() },
          { token: f.customer.token, json: true },
        );
        expect([asCustomer.status, asCustomer.body.code]).toEqual([401, 'unauthorized.bad_network_credential']);
        for (const path of ['/accounts', `/balance?account_id=${f.account}`, `/cards?account_id=${f.account}`]) {
          expect((await api.get(path, { token: NETWORK_SECRET })).status).toBe(401);
        }
        expect((await api.post('/network/authorisations', {}, { json: true })).status).toBe(401);
      });
    });
  });
}
