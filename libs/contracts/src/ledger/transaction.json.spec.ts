import { describe, expect, it } from 'vitest';
import type { TransactionView } from './ledger.messages';
import { merchantGroupId, transactionJson } from './transaction.json';

const payment: TransactionView = {
  id: 'tx_0000000000000000000001',
  accountId: 'acc_0000000000000000000001',
  amount: -1_915,
  currency: 'GBP',
  created: '2026-12-04T10:00:00.000Z',
  description: 'Brightbird Espresso',
  category: 'eating_out',
  settled: '',
  metadata: {},
  notes: '',
  isLoad: false,
  status: 'pending',
  holdId: 'hold_0000000000000000000001',
  merchant: { id: 'merch_0000000000000000000001', name: 'Brightbird Espresso', category: 'eating_out', mcc: '5814', emoji: '☕' },
};

describe("a transaction in Monzo's JSON", () => {
  it("groups a chain's branches: one group per name, whatever the case, spacing or city", () => {
    expect(merchantGroupId('Brightbird Espresso')).toMatch(/^grp_[0-9A-Za-z]{22}$/);
    expect(merchantGroupId(' brightbird ESPRESSO ')).toBe(merchantGroupId('Brightbird Espresso'));
    expect(merchantGroupId('Brightbird Espress')).not.toBe(merchantGroupId('Brightbird Espresso'));
  });

  it('names the scheme, what counts as spending and who sent it, by kind of transaction', () => {
    const card = transactionJson(payment);
    expect([card.scheme, card.include_in_spending, card.originator]).toEqual(['mastercard', true, false]);
    const declined = transactionJson({ ...payment, status: 'declined', declineReason: 'insufficient_funds' });
    expect([declined.include_in_spending, declined.decline_reason]).toEqual([false, 'INSUFFICIENT_FUNDS']);
    const toPot = transactionJson({
      ...payment,
      holdId: undefined,
      merchant: undefined,
      counterparty: { accountId: 'pot_0000000000000000000001' },
    });
    expect([toPot.scheme, toPot.include_in_spending, toPot.originator]).toEqual(['uk_retail_pot', false, true]);
    const transferIn = transactionJson({
      ...payment,
      amount: 500,
      holdId: undefined,
      merchant: undefined,
      counterparty: { accountId: 'acc_0000000000000000000002' },
    });
    expect([transferIn.scheme, transferIn.originator]).toEqual(['payport_faster_payments', false]);
  });
});
