import { fileURLToPath } from 'node:url';
import { LedgerEvents, LedgerPatterns, LedgerRequests } from '@cleave/contracts';
import { CleaveError, newEntityId, rootContext, runWithContext, type MessageBus } from '@cleave/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleaveDeployment } from '../../../apps/cleave/src/deployment';
import { startContexts, type Storage } from '../../../test/support/context-app';
import { TestDatabase } from '../../../test/support/postgres';
import { startTopology, type RunningTopology } from '../../../test/support/topology';
import { LedgerModule } from '../src/ledger.module';

/**
 * Runs `work` in a call tree with a minute to spare. A call's `timeoutMs` can only shorten its parent's
 * budget, never lengthen it, and a call made outside any context gets the default 5 s: on a loaded machine
 * 200 queued calls can take longer than that, and a timeout is not the refusal these tests look for.
 */
const withTime = <T>(work: () => Promise<T>): Promise<T> => runWithContext(rootContext({ timeoutMs: 60_000 }, 60_000), work);

/** 200 debits of 100 at once against a balance of 10,000: exactly 100 go through and nothing is overdrawn. */
const raceDebits = (bus: MessageBus, kind: 'transfer' | 'hold'): Promise<void> => withTime(() => raceDebitsNow(bus, kind));

async function raceDebitsNow(bus: MessageBus, kind: 'transfer' | 'hold'): Promise<void> {
  const [source, sink] = [newEntityId('acc'), newEntityId('acc')];
  for (const id of [source, sink]) await bus.send(LedgerPatterns.OpenBook, { accountId: id, currency: 'GBP' });
  await bus.send(LedgerPatterns.TopUp, { accountId: source, amount: 10_000, currency: 'GBP' }, { idempotencyKey: `seed-${source}` });
  const attempts = Array.from({ length: 200 }, (_, i) => {
    const options = { idempotencyKey: `${kind}-${source}-${i}`, timeoutMs: 30_000 };
    return kind === 'transfer'
      ? bus.send(LedgerPatterns.Transfer, { sourceAccountId: source, destinationAccountId: sink, amount: 100, currency: 'GBP' }, options)
      : bus.send(LedgerPatterns.PlaceHold, { accountId: source, amount: 100, currency: 'GBP', description: 'Coffee' }, options);
  });
  const outcomes = await Promise.allSettled(attempts);
  const refused = outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason as CleaveError);
  // Every refusal is for want of money; anything else shows up here by its code, reason and message.
  expect([
    ...new Set(
      refused.map((e) =>
        e instanceof CleaveError && e.reason === 'insufficient_funds' ? 'insufficient_funds' : `${e.code}.${e.reason}: ${e.message}`,
      ),
    ),
  ]).toEqual(refused.length > 0 ? ['insufficient_funds'] : []);
  expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(100);
  const balance = await bus.send(LedgerPatterns.GetBalance, { accountId: source });
  expect(balance.available).toBe(0);
  expect(balance.balance).toBe(kind === 'transfer' ? 0 : 10_000);
  if (kind === 'transfer') expect((await bus.send(LedgerPatterns.GetBalance, { accountId: sink })).balance).toBe(10_000);
}

/** One transfer sent 20 times at once under one key: it moves the money once, and every copy gets its answer. */
const raceRetries = (bus: MessageBus): Promise<void> =>
  withTime(async () => {
    const [source, sink] = [newEntityId('acc'), newEntityId('acc')];
    for (const id of [source, sink]) await bus.send(LedgerPatterns.OpenBook, { accountId: id, currency: 'GBP' });
    await bus.send(LedgerPatterns.TopUp, { accountId: source, amount: 10_000, currency: 'GBP' }, { idempotencyKey: `seed-${source}` });
    const request = { sourceAccountId: source, destinationAccountId: sink, amount: 700, currency: 'GBP' };
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        bus.send(LedgerPatterns.Transfer, request, { idempotencyKey: `retried-${source}`, timeoutMs: 30_000 }),
      ),
    );
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect((await bus.send(LedgerPatterns.GetBalance, { accountId: source })).balance).toBe(9_300);
    expect((await bus.send(LedgerPatterns.GetBalance, { accountId: sink })).balance).toBe(700);
  });

describe.each<Storage>(['sqlite', 'postgres'])('concurrent debits on %s, one ledger', (storage) => {
  let ledger: Awaited<ReturnType<typeof startContexts>>;
  beforeAll(async () => {
    ledger = await startContexts(storage, { requests: LedgerRequests, events: LedgerEvents, dependencies: {} }, { ledger: LedgerModule });
  });
  afterAll(async () => {
    await ledger?.stop();
  });

  it('never overdraw a balance: 200 transfers', () => raceDebits(ledger.bus, 'transfer'));
  it('never overdraw a balance: 200 holds', () => raceDebits(ledger.bus, 'hold'));
  it('move money once for a transfer retried 20 times at once', () => raceRetries(ledger.bus));
});

describe('concurrent debits on PostgreSQL, two ledger replicas', () => {
  let topology: RunningTopology;
  let database: TestDatabase;
  beforeAll(async () => {
    database = await TestDatabase.create();
    topology = await startTopology({
      deployment: cleaveDeployment,
      entry: fileURLToPath(new URL('../../../dist/apps/cleave/src/main.js', import.meta.url)),
      local: 'none',
      children: [
        { services: 'ledger', instance: 'ledger-1' },
        { services: 'ledger', instance: 'ledger-2' },
      ],
      env: { DATABASE_URL: database.url },
    });
  });
  afterAll(async () => {
    await topology?.stop();
    await database?.drop();
  });

  it('never overdraw a balance: 200 transfers shared by both replicas', () => raceDebits(topology.app.bus, 'transfer'));
  it('never overdraw a balance: 200 holds shared by both replicas', () => raceDebits(topology.app.bus, 'hold'));
  it('move money once for a transfer retried 20 times at once across both replicas', () => raceRetries(topology.app.bus));

  it('settles a hold placed while another replica voids it: never internal, and no money held', () =>
    withTime(async () => {
      const bus = topology.app.bus;
      const account = newEntityId('acc');
      await bus.send(LedgerPatterns.OpenBook, { accountId: account, currency: 'GBP' });
      await bus.send(LedgerPatterns.TopUp, { accountId: account, amount: 100_000, currency: 'GBP' }, { idempotencyKey: `seed-${account}` });
      const outcomes: string[] = [];
      for (let round = 0; round < 40; round++) {
        const holdId = newEntityId('hold');
        const place = bus.send(
          LedgerPatterns.PlaceHold,
          { holdId, accountId: account, amount: 10, currency: 'GBP', description: 'Race' },
          { idempotencyKey: `place-${holdId}` },
        );
        const cancel = bus.send(LedgerPatterns.VoidHold, { holdId, cancelIfAbsent: true }, { idempotencyKey: `void-${holdId}` });
        for (const o of await Promise.allSettled([place, cancel])) {
          outcomes.push(o.status === 'fulfilled' ? 'ok' : `${(o.reason as CleaveError).code}.${(o.reason as CleaveError).reason ?? ''}`);
        }
      }
      // A placement that lost to the void is hold_cancelled; a void that found the hold placed voids it.
      expect([...new Set(outcomes)].filter((o) => o !== 'ok' && o !== 'conflict.hold_cancelled')).toEqual([]);
      expect(await bus.send(LedgerPatterns.GetBalance, { accountId: account })).toMatchObject({
        balance: 100_000,
        available: 100_000,
        held: 0,
      });
    }));
});
