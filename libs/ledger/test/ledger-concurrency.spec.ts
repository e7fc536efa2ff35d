import { fileURLToPath } from 'node:url';
import { LedgerEvents, LedgerPatterns, LedgerRequests } from '@cleave/contracts';
import { CleaveError, newEntityId, type MessageBus } from '@cleave/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleaveDeployment } from '../../../apps/cleave/src/deployment';
import { startContexts, type Storage } from '../../../test/support/context-app';
import { TestDatabase } from '../../../test/support/postgres';
import { startTopology, type RunningTopology } from '../../../test/support/topology';
import { LedgerModule } from '../src/ledger.module';

/** 200 debits of 100 at once against a balance of 10,000: exactly 100 go through and nothing is overdrawn. */
async function raceDebits(bus: MessageBus, kind: 'transfer' | 'hold'): Promise<void> {
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
  expect(refused.every((e) => e instanceof CleaveError && e.reason === 'insufficient_funds')).toBe(true);
  expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(100);
  const balance = await bus.send(LedgerPatterns.GetBalance, { accountId: source });
  expect(balance.available).toBe(0);
  expect(balance.balance).toBe(kind === 'transfer' ? 0 : 10_000);
  if (kind === 'transfer') expect((await bus.send(LedgerPatterns.GetBalance, { accountId: sink })).balance).toBe(10_000);
}

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
});
