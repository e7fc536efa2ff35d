import { LedgerEvents, LedgerPatterns, LedgerRequests } from '@cleave/contracts';
import { CleaveError, ContextDatabase, newEntityId } from '@cleave/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startContexts, type ContextApp, type Storage } from '../../../test/support/context-app';
import { HoldsHandler } from '../src/holds/holds.handler';
import { LedgerModule } from '../src/ledger.module';

/** A small deterministic PRNG (mulberry32), so a failing sequence can be replayed from its seed. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface BookModel {
  posted: number;
  held: number;
  readonly currency: string;
  readonly kind: 'customer' | 'pot';
}

const SEED = Number(process.env.CLEAVE_PROPERTY_SEED ?? 20261122);

describe.each<Storage>(['sqlite', 'postgres'])('ledger properties on %s (seed %i)', (storage) => {
  let ledger: ContextApp;
  let keys = 0;
  beforeAll(async () => {
    // Expiry is driven by the test, not the timer, so every run is the same.
    ledger = await startContexts(
      storage,
      { requests: LedgerRequests, events: LedgerEvents, dependencies: {} },
      { ledger: LedgerModule },
      { CLEAVE_HOLD_SWEEP_MS: '3600000' },
    );
  });
  afterAll(async () => {
    await ledger?.stop();
  });

  it('keeps every balance consistent and every currency summing to zero through random operations', async () => {
    const random = prng(SEED + (storage === 'postgres' ? 1 : 0));
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const amount = (max: number) => 1 + Math.floor(random() * max);
    const books = new Map<string, BookModel>();
    const holds = new Map<string, { accountId: string; amount: number; expiring: boolean }>();
    const send = ledger.bus.send.bind(ledger.bus);
    const key = () => ({ idempotencyKey: `p-${++keys}` });

    for (const [currency, count] of [
      ['GBP', 5],
      ['EUR', 2],
    ] as const) {
      for (let i = 0; i < count; i++) {
        const id = newEntityId('acc');
        await send(LedgerPatterns.OpenBook, { accountId: id, currency, kind: 'customer' });
        books.set(id, { posted: 0, held: 0, currency, kind: 'customer' });
      }
    }
    for (let i = 0; i < 2; i++) {
      const id = newEntityId('pot');
      await send(LedgerPatterns.OpenBook, { accountId: id, currency: 'GBP', kind: 'pot' });
      books.set(id, { posted: 0, held: 0, currency: 'GBP', kind: 'pot' });
    }
    const customers = [...books].filter(([, b]) => b.kind === 'customer').map(([id]) => id);
    const pots = [...books].filter(([, b]) => b.kind === 'pot').map(([id]) => id);
    const available = (id: string) => books.get(id)!.posted - books.get(id)!.held;

    /** Runs an operation the model says succeeds or is refused for insufficient funds, and checks it was. */
    async function expectOutcome(affordable: boolean, run: () => Promise<unknown>): Promise<boolean> {
      try {
        await run();
      } catch (error) {
        expect(error).toBeInstanceOf(CleaveError);
        expect({ affordable, reason: (error as CleaveError).reason }).toEqual({ affordable: false, reason: 'insufficient_funds' });
        return false;
      }
      expect(affordable).toBe(true);
      return true;
    }

    const operations: Array<() => Promise<void>> = [
      async () => {
        const id = pick(customers);
        const n = amount(5_000);
        await send(LedgerPatterns.TopUp, { accountId: id, amount: n, currency: books.get(id)!.currency }, key());
        books.get(id)!.posted += n;
      },
      async () => {
        const [from, to] = [pick(customers), pick(customers)];
        if (from === to || books.get(from)!.currency !== books.get(to)!.currency) return;
        const n = amount(3_000);
        if (
          await expectOutcome(n <= available(from), () =>
            send(
              LedgerPatterns.Transfer,
              { sourceAccountId: from, destinationAccountId: to, amount: n, currency: books.get(from)!.currency },
              key(),
            ),
          )
        ) {
          books.get(from)!.posted -= n;
          books.get(to)!.posted += n;
        }
      },
      async () => {
        const [from, to] =
          random() < 0.5
            ? [pick(customers.filter((c) => books.get(c)!.currency === 'GBP')), pick(pots)]
            : [pick(pots), pick(customers.filter((c) => books.get(c)!.currency === 'GBP'))];
        const n = amount(2_000);
        const kind = from.startsWith('pot_') ? 'pot_withdrawal' : 'pot_deposit';
        if (
          await expectOutcome(n <= available(from), () =>
            send(LedgerPatterns.Transfer, { sourceAccountId: from, destinationAccountId: to, amount: n, currency: 'GBP', kind }, key()),
          )
        ) {
          books.get(from)!.posted -= n;
          books.get(to)!.posted += n;
        }
      },
      async () => {
        const id = pick(customers);
        const n = amount(2_500);
        const expiring = random() < 0.25;
        let holdId = '';
        const placed = await expectOutcome(n <= available(id), async () => {
          holdId = (
            await send(
              LedgerPatterns.PlaceHold,
              {
                accountId: id,
                amount: n,
                currency: books.get(id)!.currency,
                description: 'Card payment',
                ...(expiring ? { expiresInSeconds: 1 } : {}),
              },
              key(),
            )
          ).id;
        });
        if (placed) {
          books.get(id)!.held += n;
          holds.set(holdId, { accountId: id, amount: n, expiring });
        }
      },
      async () => {
        const open = [...holds].filter(([, h]) => !h.expiring);
        if (open.length === 0) return;
        const [holdId, hold] = pick(open);
        const n = pick([hold.amount, Math.floor(hold.amount / 2), hold.amount + amount(500), 0]);
        const book = books.get(hold.accountId)!;
        if (
          await expectOutcome(n - hold.amount <= available(hold.accountId), () =>
            send(LedgerPatterns.PostHold, { holdId, amount: n }, key()),
          )
        ) {
          book.held -= hold.amount;
          book.posted -= n;
          holds.delete(holdId);
        }
      },
      async () => {
        const open = [...holds].filter(([, h]) => !h.expiring);
        if (open.length === 0) return;
        const [holdId, hold] = pick(open);
        await send(LedgerPatterns.VoidHold, { holdId }, key());
        books.get(hold.accountId)!.held -= hold.amount;
        holds.delete(holdId);
      },
    ];

    const checkInvariants = async () => {
      const db = ledger.app.select(LedgerModule).get(ContextDatabase, { strict: false });
      await db.read(async (em) => {
        const totals = (await em.query('SELECT currency, SUM(posted) AS total FROM ledger_accounts GROUP BY currency')) as Array<{
          currency: string;
          total: string | number;
        }>;
        for (const t of totals) expect({ currency: t.currency, total: Number(t.total) }).toEqual({ currency: t.currency, total: 0 });
        const rows = (await em.query(
          `SELECT a.id, a.kind, a.posted, a.held,
             (SELECT COALESCE(SUM(p.amount), 0) FROM ledger_postings p WHERE p.account_id = a.id) AS postings,
             (SELECT COALESCE(SUM(h.amount), 0) FROM ledger_holds h WHERE h.account_id = a.id AND h.status = 'pending') AS pending
           FROM ledger_accounts a`,
        )) as Array<{ id: string; kind: string; posted: string; held: string; postings: string; pending: string }>;
        for (const r of rows) {
          expect({ id: r.id, posted: Number(r.posted) }).toEqual({ id: r.id, posted: Number(r.postings) });
          expect({ id: r.id, held: Number(r.held) }).toEqual({ id: r.id, held: Number(r.pending) });
          if (r.kind === 'customer' || r.kind === 'pot') expect(Number(r.posted) - Number(r.held)).toBeGreaterThanOrEqual(0);
          const model = books.get(r.id);
          if (model)
            expect({ id: r.id, posted: Number(r.posted), held: Number(r.held) }).toEqual({
              id: r.id,
              posted: model.posted,
              held: model.held,
            });
        }
      });
    };

    for (let step = 1; step <= 300; step++) {
      await pick(operations)();
      if (step % 100 === 0) {
        // Let the holds placed to expire do so, then release them as the sweeper would.
        await new Promise((r) => setTimeout(r, 1_100));
        await ledger.app.select(LedgerModule).get(HoldsHandler, { strict: false }).expireDue(1_000);
        for (const [holdId, hold] of holds) {
          if (!hold.expiring) continue;
          books.get(hold.accountId)!.held -= hold.amount;
          holds.delete(holdId);
        }
        await checkInvariants();
      }
    }
  });
});
