import { LedgerEvents, LedgerPatterns, LedgerRequests, type HoldView } from '@cleave/contracts';
import { CleaveError, ContextDatabase, newEntityId } from '@cleave/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { startContexts, type ContextApp, type Storage } from '../../../test/support/context-app';
import { LedgerModule } from '../src/ledger.module';

async function failure(promise: Promise<unknown>): Promise<CleaveError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CleaveError);
    return error as CleaveError;
  }
  throw new Error('expected the call to fail');
}

describe.each<Storage>(['sqlite', 'postgres'])('the ledger on %s', (storage) => {
  let ledger: ContextApp;
  let keys = 0;
  const key = () => ({ idempotencyKey: `k-${++keys}` });
  const open = async (kind: 'customer' | 'pot' = 'customer', currency = 'GBP') => {
    const id = newEntityId(kind === 'pot' ? 'pot' : 'acc');
    await ledger.bus.send(LedgerPatterns.OpenBook, { accountId: id, currency, kind });
    return id;
  };
  const balance = (accountId: string) => ledger.bus.send(LedgerPatterns.GetBalance, { accountId });
  const topUp = (accountId: string, amount: number) => ledger.bus.send(LedgerPatterns.TopUp, { accountId, amount, currency: 'GBP' }, key());

  beforeAll(async () => {
    ledger = await startContexts(
      storage,
      { requests: LedgerRequests, events: LedgerEvents, dependencies: {} },
      { ledger: LedgerModule },
      { CLEAVE_HOLD_SWEEP_MS: '100' },
    );
  });
  afterAll(async () => {
    await ledger?.stop();
  });

  it('opens a book at zero, and opening it again is a no-op', async () => {
    const id = await open();
    expect(await balance(id)).toEqual({ accountId: id, currency: 'GBP', balance: 0, held: 0, available: 0, spendToday: 0 });
    expect((await ledger.bus.send(LedgerPatterns.OpenBook, { accountId: id, currency: 'GBP' })).accountId).toBe(id);
    expect((await failure(ledger.bus.send(LedgerPatterns.OpenBook, { accountId: id, currency: 'EUR' }))).code).toBe('conflict');
  });

  it('tops up from the funding book, as a settled load', async () => {
    const id = await open();
    const tx = await topUp(id, 5_000);
    expect(tx).toMatchObject({ accountId: id, amount: 5_000, currency: 'GBP', isLoad: true, status: 'settled', description: 'Top up' });
    expect(tx.settled).not.toBe('');
    expect((await balance(id)).balance).toBe(5_000);
  });

  it('transfers between accounts, with a transaction on each side naming the other', async () => {
    const [a, b] = [await open(), await open()];
    await topUp(a, 10_000);
    const { debit, credit } = await ledger.bus.send(
      LedgerPatterns.Transfer,
      { sourceAccountId: a, destinationAccountId: b, amount: 2_500, currency: 'GBP', description: 'Rent' },
      key(),
    );
    expect(debit).toMatchObject({ accountId: a, amount: -2_500, category: 'transfers', counterparty: { accountId: b } });
    expect(credit).toMatchObject({ accountId: b, amount: 2_500, counterparty: { accountId: a } });
    expect((await balance(a)).balance).toBe(7_500);
    expect((await balance(b)).balance).toBe(2_500);
    expect((await balance(a)).spendToday).toBe(-2_500);
  });

  it('refuses to overdraw a customer, and leaves the balances as they were', async () => {
    const [a, b] = [await open(), await open()];
    await topUp(a, 1_000);
    const error = await failure(
      ledger.bus.send(LedgerPatterns.Transfer, { sourceAccountId: a, destinationAccountId: b, amount: 1_001, currency: 'GBP' }, key()),
    );
    expect(error).toMatchObject({ code: 'precondition_failed', reason: 'insufficient_funds' });
    expect((await balance(a)).balance).toBe(1_000);
    expect((await balance(b)).balance).toBe(0);
  });

  it('refuses transfers across currencies, to missing books, and without an idempotency key', async () => {
    const [gbp, eur] = [await open(), await open('customer', 'EUR')];
    await topUp(gbp, 1_000);
    expect(
      (
        await failure(
          ledger.bus.send(LedgerPatterns.Transfer, { sourceAccountId: gbp, destinationAccountId: eur, amount: 1, currency: 'GBP' }, key()),
        )
      ).reason,
    ).toBe('currency_mismatch');
    expect(
      (
        await failure(
          ledger.bus.send(
            LedgerPatterns.Transfer,
            { sourceAccountId: gbp, destinationAccountId: newEntityId('acc'), amount: 1, currency: 'GBP' },
            key(),
          ),
        )
      ).code,
    ).toBe('not_found');
    expect((await failure(ledger.bus.send(LedgerPatterns.TopUp, { accountId: gbp, amount: 1, currency: 'GBP' }))).reason).toBe(
      'missing_idempotency_key',
    );
  });

  it('replays the first result for the same key and request, and refuses the key for another request', async () => {
    const [a, b] = [await open(), await open()];
    await topUp(a, 1_000);
    const request = { sourceAccountId: a, destinationAccountId: b, amount: 300, currency: 'GBP' };
    const first = await ledger.bus.send(LedgerPatterns.Transfer, request, { idempotencyKey: 'same-key-1' });
    const again = await ledger.bus.send(LedgerPatterns.Transfer, request, { idempotencyKey: 'same-key-1' });
    expect(again).toEqual(first);
    expect((await balance(a)).balance).toBe(700);
    const other = await failure(ledger.bus.send(LedgerPatterns.Transfer, { ...request, amount: 301 }, { idempotencyKey: 'same-key-1' }));
    expect(other).toMatchObject({ code: 'conflict', reason: 'idempotency_key_reused' });
  });

  it('moves money only once when one key arrives many times at once', async () => {
    const [a, b] = [await open(), await open()];
    await topUp(a, 1_000);
    const request = { sourceAccountId: a, destinationAccountId: b, amount: 100, currency: 'GBP' };
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => ledger.bus.send(LedgerPatterns.Transfer, request, { idempotencyKey: 'burst-key' })),
    );
    expect(new Set(replies.map((r) => r.debit.id)).size).toBe(1);
    expect((await balance(a)).balance).toBe(900);
  });

  describe('holds', () => {
    const place = (accountId: string, amount: number, extra: Partial<{ expiresInSeconds: number }> = {}) =>
      ledger.bus.send(
        LedgerPatterns.PlaceHold,
        { accountId, amount, currency: 'GBP', description: 'Brightbird Espresso', category: 'eating_out', ...extra },
        key(),
      );

    it('reserves money: available drops, the balance does not, and a pending transaction shows it', async () => {
      const id = await open();
      await topUp(id, 5_000);
      const hold = await place(id, 1_915);
      expect(hold).toMatchObject({ accountId: id, amount: 1_915, status: 'pending' });
      expect(await balance(id)).toMatchObject({ balance: 5_000, held: 1_915, available: 3_085, spendToday: -1_915 });
      const tx = await ledger.bus.send(LedgerPatterns.GetTransaction, { transactionId: hold.transactionId });
      expect(tx).toMatchObject({ amount: -1_915, settled: '', status: 'pending', category: 'eating_out', holdId: hold.id });
    });

    it('refuses a hold above the available balance', async () => {
      const id = await open();
      await topUp(id, 1_000);
      await place(id, 600);
      expect((await failure(place(id, 401))).reason).toBe('insufficient_funds');
    });

    it('places a hold once per key: a repeat replays it, even once the money is spent; another request is a conflict', async () => {
      const id = await open();
      await topUp(id, 1_000);
      const request = { accountId: id, amount: 600, currency: 'GBP', description: 'Brightbird Espresso' };
      const first = await ledger.bus.send(LedgerPatterns.PlaceHold, request, { idempotencyKey: `hold-key-${storage}` });
      expect(await ledger.bus.send(LedgerPatterns.PlaceHold, request, { idempotencyKey: `hold-key-${storage}` })).toEqual(first);
      // What is left can't pay for it again, and the repeat is still the first hold, not a refusal.
      await place(id, 400);
      expect(await ledger.bus.send(LedgerPatterns.PlaceHold, request, { idempotencyKey: `hold-key-${storage}` })).toEqual(first);
      expect(await balance(id)).toMatchObject({ held: 1_000, available: 0 });
      const other = await failure(
        ledger.bus.send(LedgerPatterns.PlaceHold, { ...request, amount: 1 }, { idempotencyKey: `hold-key-${storage}` }),
      );
      expect(other).toMatchObject({ code: 'conflict', reason: 'idempotency_key_reused' });
    });

    it('holds money once when one key arrives many times at once', async () => {
      const id = await open();
      await topUp(id, 1_000);
      const request = { accountId: id, amount: 100, currency: 'GBP', description: 'Brightbird Espresso' };
      const replies = await Promise.all(
        Array.from({ length: 20 }, () => ledger.bus.send(LedgerPatterns.PlaceHold, request, { idempotencyKey: `hold-burst-${storage}` })),
      );
      expect(new Set(replies.map((r) => r.id)).size).toBe(1);
      expect(await balance(id)).toMatchObject({ held: 100, available: 900 });
      const transactions = await ledger.bus.send(LedgerPatterns.ListTransactions, { accountId: id });
      expect(transactions.filter((t) => t.holdId !== undefined)).toHaveLength(1);
    });

    it('refuses a hold in another currency, on no book or above what is available, saying why and holding nothing', async () => {
      const current = await open();
      await topUp(current, 1_000);
      const hold = (accountId: string, currency = 'GBP') =>
        failure(ledger.bus.send(LedgerPatterns.PlaceHold, { accountId, amount: 100, currency, description: 'Espresso' }, key()));
      expect(await hold(current, 'EUR')).toMatchObject({ reason: 'currency_mismatch' });
      expect(await hold(newEntityId('acc'))).toMatchObject({ code: 'not_found' });
      await place(current, 950);
      expect(await hold(current)).toMatchObject({ reason: 'insufficient_funds', message: 'insufficient funds: 50 available, 100 needed' });
      expect(await balance(current)).toMatchObject({ held: 950, available: 50 });
    });

    it.each([
      ['equal to', 1_000, 1_000],
      ['less than', 1_000, 700],
      ['more than', 1_000, 1_300],
    ])('posts a presentment %s the hold', async (_label, held, posted) => {
      const id = await open();
      await topUp(id, 5_000);
      const hold = await place(id, held);
      const after = await ledger.bus.send(LedgerPatterns.PostHold, { holdId: hold.id, amount: posted }, key());
      expect(after).toMatchObject({ status: 'posted', postedAmount: posted });
      expect(await balance(id)).toMatchObject({ balance: 5_000 - posted, held: 0, available: 5_000 - posted });
      const tx = await ledger.bus.send(LedgerPatterns.GetTransaction, { transactionId: hold.transactionId });
      expect(tx).toMatchObject({ amount: -posted, status: 'settled' });
      expect(tx.settled).not.toBe('');
    });

    it('refuses a presentment above the hold when the difference is not there', async () => {
      const id = await open();
      await topUp(id, 1_000);
      const hold = await place(id, 900);
      expect((await failure(ledger.bus.send(LedgerPatterns.PostHold, { holdId: hold.id, amount: 1_200 }, key()))).reason).toBe(
        'insufficient_funds',
      );
      expect(await balance(id)).toMatchObject({ held: 900, available: 100 });
    });

    it('voids a hold, releasing it, and a voided hold can no longer be posted', async () => {
      const id = await open();
      await topUp(id, 1_000);
      const hold = await place(id, 400);
      expect(await ledger.bus.send(LedgerPatterns.VoidHold, { holdId: hold.id }, key())).toMatchObject({ status: 'voided' });
      expect(await balance(id)).toMatchObject({ held: 0, available: 1_000, spendToday: 0 });
      expect((await ledger.bus.send(LedgerPatterns.GetTransaction, { transactionId: hold.transactionId })).status).toBe('reversed');
      expect((await failure(ledger.bus.send(LedgerPatterns.PostHold, { holdId: hold.id, amount: 400 }, key()))).reason).toBe(
        'hold_not_pending',
      );
    });

    it('expires a hold nobody posted, releasing its money', async () => {
      const id = await open();
      await topUp(id, 1_000);
      const hold: HoldView = await place(id, 250, { expiresInSeconds: 1 });
      const deadline = Date.now() + 10_000;
      while ((await balance(id)).held !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await balance(id)).toMatchObject({ held: 0, available: 1_000 });
      expect((await ledger.bus.send(LedgerPatterns.GetTransaction, { transactionId: hold.transactionId })).status).toBe('reversed');
    });
  });

  describe('card payments', () => {
    const merchant = {
      id: 'merch_0000000000000000000001',
      name: 'Brightbird Espresso',
      category: 'eating_out',
      mcc: '5814',
      emoji: '☕',
      city: 'London',
      country: 'GB',
    };
    const payment = (accountId: string, amount: number) => ({
      accountId,
      amount,
      currency: 'GBP',
      description: 'Brightbird Espresso',
      category: 'eating_out',
      merchant,
    });

    it('cancels a hold before it is placed: the placement then fails and holds nothing', async () => {
      const id = await open();
      await topUp(id, 1_000);
      const holdId = newEntityId('hold');
      const tombstone = await ledger.bus.send(LedgerPatterns.VoidHold, { holdId, cancelIfAbsent: true }, key());
      expect(tombstone).toMatchObject({ id: holdId, status: 'voided', transactionId: '' });
      const late = await failure(
        ledger.bus.send(LedgerPatterns.PlaceHold, { holdId, accountId: id, amount: 500, currency: 'GBP', description: 'Late' }, key()),
      );
      expect(late.reason).toBe('hold_cancelled');
      expect(await balance(id)).toMatchObject({ held: 0, available: 1_000 });
      expect(await ledger.bus.send(LedgerPatterns.ListTransactions, { accountId: id })).toHaveLength(1);
    });

    it('releases part of a hold, then the rest voids it', async () => {
      const id = await open();
      await topUp(id, 1_000);
      const hold = await ledger.bus.send(
        LedgerPatterns.PlaceHold,
        { accountId: id, amount: 600, currency: 'GBP', description: 'Hotel' },
        key(),
      );
      expect(await ledger.bus.send(LedgerPatterns.ReleaseHold, { holdId: hold.id, amount: 200 }, key())).toMatchObject({
        amount: 400,
        status: 'pending',
      });
      expect(await balance(id)).toMatchObject({ held: 400, available: 600 });
      expect((await ledger.bus.send(LedgerPatterns.GetTransaction, { transactionId: hold.transactionId })).amount).toBe(-400);
      expect(await ledger.bus.send(LedgerPatterns.ReleaseHold, { holdId: hold.id, amount: 400 }, key())).toMatchObject({
        status: 'voided',
      });
      expect(await balance(id)).toMatchObject({ held: 0, available: 1_000 });
    });

    it('records a decline once per key, however many times it arrives at once; another request is a conflict', async () => {
      const id = await open();
      const request = { ...payment(id, 5_000), declineReason: 'insufficient_funds' };
      const idempotencyKey = `decline-key-${storage}`;
      const replies = await Promise.all(
        Array.from({ length: 10 }, () => ledger.bus.send(LedgerPatterns.RecordDecline, request, { idempotencyKey })),
      );
      expect(new Set(replies.map((r) => r.id)).size).toBe(1);
      expect(await ledger.bus.send(LedgerPatterns.RecordDecline, request, { idempotencyKey })).toEqual(replies[0]);
      const declines = (await ledger.bus.send(LedgerPatterns.ListTransactions, { accountId: id })).filter((t) => t.status === 'declined');
      expect(declines.map((t) => t.id)).toEqual([replies[0]!.id]);
      const other = await failure(ledger.bus.send(LedgerPatterns.RecordDecline, { ...request, amount: 1 }, { idempotencyKey }));
      expect(other).toMatchObject({ code: 'conflict', reason: 'idempotency_key_reused' });
      const nowhere = await failure(ledger.bus.send(LedgerPatterns.RecordDecline, { ...request, accountId: newEntityId('acc') }, key()));
      expect(nowhere).toMatchObject({ code: 'not_found' });
      expect(await balance(id)).toMatchObject({ balance: 0, held: 0 });
    });

    it('force-posts, refunds and records declines, each with its merchant', async () => {
      const id = await open();
      await topUp(id, 1_000);
      const forced = await ledger.bus.send(LedgerPatterns.PostCardPayment, payment(id, 300), key());
      expect(forced).toMatchObject({ amount: -300, status: 'settled', merchant });
      expect((await failure(ledger.bus.send(LedgerPatterns.PostCardPayment, payment(id, 701), key()))).reason).toBe('insufficient_funds');
      const refund = await ledger.bus.send(LedgerPatterns.RefundCardPayment, payment(id, 120), key());
      expect(refund).toMatchObject({ amount: 120, status: 'settled', merchant });
      const declined = await ledger.bus.send(
        LedgerPatterns.RecordDecline,
        { ...payment(id, 5_000), declineReason: 'insufficient_funds' },
        key(),
      );
      expect(declined).toMatchObject({ amount: -5_000, status: 'declined', declineReason: 'insufficient_funds', settled: '' });
      expect(await balance(id)).toMatchObject({ balance: 820, spendToday: -300 });
      // Each booked as what it is, not as the posting of a hold.
      const dataSource = ledger.app.get<DataSource>(getDataSourceToken('ledger'), { strict: false });
      const kinds = (await dataSource.query(
        `SELECT e.kind FROM ledger_entries e JOIN ledger_postings p ON p.entry_id = e.id WHERE p.account_id = ${storage === 'postgres' ? '$1' : '?'} ORDER BY e.kind`,
        [id],
      )) as Array<{ kind: string }>;
      expect(kinds.map((k) => k.kind)).toEqual(['card_refund', 'force_post', 'top_up']);
    });
  });

  describe('transactions', () => {
    it('lists a book oldest first, pages with since (time or id), before and limit', async () => {
      const id = await open();
      const made = [];
      for (let i = 1; i <= 5; i++) {
        made.push(await topUp(id, i * 100));
        await new Promise((r) => setTimeout(r, 5));
      }
      const all = await ledger.bus.send(LedgerPatterns.ListTransactions, { accountId: id });
      expect(all.map((t) => t.amount)).toEqual([100, 200, 300, 400, 500]);
      expect((await ledger.bus.send(LedgerPatterns.ListTransactions, { accountId: id, limit: 2 })).map((t) => t.amount)).toEqual([
        100, 200,
      ]);
      expect((await ledger.bus.send(LedgerPatterns.ListTransactions, { accountId: id, since: made[1]!.id })).map((t) => t.amount)).toEqual([
        300, 400, 500,
      ]);
      expect(
        (await ledger.bus.send(LedgerPatterns.ListTransactions, { accountId: id, since: made[2]!.created })).map((t) => t.amount),
      ).toEqual([400, 500]);
      expect(
        (await ledger.bus.send(LedgerPatterns.ListTransactions, { accountId: id, before: made[2]!.created })).map((t) => t.amount),
      ).toEqual([100, 200]);
    });

    it('annotates with metadata (an empty value deletes a key) and notes', async () => {
      const id = await open();
      const tx = await topUp(id, 100);
      const once = await ledger.bus.send(LedgerPatterns.AnnotateTransaction, {
        transactionId: tx.id,
        metadata: [
          { key: 'trip', value: 'Lisbon' },
          { key: 'tag', value: 'x' },
        ],
        notes: 'birthday',
      });
      expect(once).toMatchObject({ metadata: { trip: 'Lisbon', tag: 'x' }, notes: 'birthday' });
      const twice = await ledger.bus.send(LedgerPatterns.AnnotateTransaction, {
        transactionId: tx.id,
        metadata: [{ key: 'tag', value: '' }],
      });
      expect(twice).toMatchObject({ metadata: { trip: 'Lisbon' }, notes: 'birthday' });
      expect(await ledger.bus.send(LedgerPatterns.GetTransaction, { transactionId: tx.id })).toEqual(twice);
    });
  });

  it('keeps every currency summing to zero over all books', async () => {
    const db = ledger.app.select(LedgerModule).get(ContextDatabase, { strict: false });
    const rows = await db.read((em) => em.query('SELECT currency, SUM(posted) AS total FROM ledger_accounts GROUP BY currency'));
    for (const row of rows as Array<{ currency: string; total: string | number }>) expect(Number(row.total)).toBe(0);
  });
});
