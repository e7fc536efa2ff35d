import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NETWORK_SECRET, fundedCard, key, type Customer } from '../http/customers';
import { Api, startBank, type RunningBank } from '../support/cleave-http';

/**
 * A deploy replaces a context's replicas one at a time. With two ledger replicas on PostgreSQL, each
 * stopped (SIGTERM: it leaves its queue group, finishes what it holds) and replaced while payments,
 * transfers and balance reads keep coming, every request the bank accepted is answered as if nothing
 * happened: no 5xx, no decline for lack of a ledger, and the money adds up afterwards.
 */
describe('rolling restart of a two-replica context under load', () => {
  let bank: RunningBank;
  let api: Api;

  beforeAll(async () => {
    bank = await startBank('split', 'postgres', {}, { ledger: 2 });
    api = new Api(bank.url);
  }, 180_000);
  afterAll(async () => bank?.stop());

  it('fails no accepted request while each ledger replica is replaced in turn', async () => {
    const payers = await Promise.all(Array.from({ length: 4 }, () => fundedCard(api, 100_000)));
    const failures: string[] = [];
    let answered = 0;
    let approvedPence = 0;
    let toppedUpPence = 0;
    let running = true;
    let sequence = 0;
    const record = (what: string, status: number, body: { approved?: boolean; decline_reason?: string; code?: string } | undefined) => {
      answered++;
      if (status >= 300 || body?.approved === false) failures.push(`${what}: ${status} ${body?.decline_reason ?? body?.code ?? ''}`);
    };
    const pay = async (payer: { customer: Customer; account: string; cardToken: string }) => {
      const reply = await api.post(
        '/network/authorisations',
        {
          card_token: payer.cardToken,
          amount: 100,
          currency: 'GBP',
          network_transaction_id: `roll-${process.pid}-${++sequence}`,
          merchant: { name: 'Rolling Bakery', mcc: '5814' },
        },
        { headers: { authorization: `Bearer ${NETWORK_SECRET}` } },
      );
      record('authorisation', reply.status, reply.body);
      if (reply.body?.approved) approvedPence += 100;
    };
    const load = Promise.all(
      payers.map(async (payer) => {
        while (running) {
          await pay(payer);
          const balance = await api.get(`/balance?account_id=${payer.account}`, { token: payer.customer.token });
          record('balance', balance.status, balance.body);
          const topUp = await api.post(
            `/accounts/${payer.account}/top-ups`,
            { amount: 1 },
            { token: payer.customer.token, idempotencyKey: key() },
          );
          record('top-up', topUp.status, topUp.body);
          if (topUp.status === 201) toppedUpPence += 1;
        }
      }),
    );
    const answeredBy = async (count: number) => {
      while (answered < count) await new Promise((resolve) => setTimeout(resolve, 20));
    };
    try {
      await answeredBy(40);
      for (const replica of [...bank.hosting('ledger')]) {
        const before = answered;
        await bank.restart(replica);
        // The new replica takes its share before the next is stopped, as a deploy waits on readiness.
        await answeredBy(before + 40);
      }
      await answeredBy(answered + 40);
    } finally {
      running = false;
      await load;
    }
    expect(failures).toEqual([]);
    expect(bank.hosting('ledger').every((p) => p.readyMessage !== undefined)).toBe(true);
    // Nothing booked twice or lost: the balances are what was paid in, less what was approved.
    let total = 0;
    for (const payer of payers)
      total += (await api.get(`/balance?account_id=${payer.account}`, { token: payer.customer.token })).body.balance;
    expect(approvedPence).toBeGreaterThan(0);
    expect(total).toBe(payers.length * 100_000 + toppedUpPence - approvedPence);
  });
});
