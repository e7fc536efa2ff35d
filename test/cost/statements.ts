import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCleaveApp, EventsRuntime, loadCleaveConfig, sqlStatistics, type CleaveApp } from '@cleave/platform';
import { cleaveDeployment } from '../../apps/cleave/src/deployment';
import { Api } from '../support/cleave-http';
import { TestDatabase } from '../support/postgres';
import { fundedCard, NETWORK_SECRET } from '../http/customers';

/** Timers that would add statements of their own while one authorisation is counted: pushed out of the way. */
export const QUIET_TIMERS = {
  CLEAVE_OUTBOX_POLL_MS: '3600000',
  CLEAVE_EVENT_PRUNE_MS: '86400000',
  CLEAVE_HOLD_SWEEP_MS: '3600000',
  CLEAVE_CARD_FOLLOWUP_MS: '600000',
  CLEAVE_WEBHOOK_POLL_MS: '60000',
};

/** A monolith in the test's own process, so its statement counts can be read. */
export interface CountedBank {
  readonly app: CleaveApp;
  readonly api: Api;
  stop(): Promise<void>;
}

export async function startCountedBank(storage: 'sqlite' | 'postgres'): Promise<CountedBank> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cleave-cost-'));
  const database = storage === 'postgres' ? await TestDatabase.create() : undefined;
  const app = await createCleaveApp(
    cleaveDeployment,
    loadCleaveConfig({
      CLEAVE_TRANSPORT: 'in-process',
      CLEAVE_DATA_DIR: dataDir,
      PORT: '0',
      CLEAVE_MANAGEMENT_PORT: '0',
      LOG_LEVEL: 'error',
      CLEAVE_PASSWORD_HASH_COST: '10',
      ...(database ? { DATABASE_URL: database.url } : {}),
      ...QUIET_TIMERS,
    }),
  );
  return {
    app,
    api: new Api(app.httpUrl!),
    async stop() {
      await app.close();
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Waits until no relay publishes and no event is handled: everything one request set going has finished. */
export async function quiescent(app: CleaveApp): Promise<void> {
  const runtime = app.app.get(EventsRuntime);
  let calm = 0;
  const deadline = Date.now() + 10_000;
  while (calm < 3) {
    if (Date.now() > deadline) throw new Error('the bank never went quiet');
    await new Promise((r) => setImmediate(r));
    calm = runtime.idle ? calm + 1 : 0;
  }
}

/** Statements and transactions per context that one approved card authorisation costs, consumers included. */
export async function costOfAuthorisation(
  bank: CountedBank,
  cardToken: string,
): Promise<Record<string, { statements: number; transactions: number }>> {
  await quiescent(bank.app);
  const before = sqlStatistics();
  const reply = await bank.api.post(
    '/network/authorisations',
    {
      card_token: cardToken,
      amount: 150,
      currency: 'GBP',
      network_transaction_id: `ntx-${randomBytes(8).toString('hex')}`,
      merchant: { name: 'Counted Cafe', mcc: '5814' },
    },
    { headers: { authorization: `Bearer ${NETWORK_SECRET}` } },
  );
  if (reply.body?.approved !== true) throw new Error(`the authorisation was not approved: ${JSON.stringify(reply.body)}`);
  await quiescent(bank.app);
  const after = sqlStatistics();
  return Object.fromEntries(
    Object.keys(after)
      .map(
        (context) =>
          [
            context,
            {
              statements: after[context]!.statements - (before[context]?.statements ?? 0),
              transactions: after[context]!.transactions - (before[context]?.transactions ?? 0),
            },
          ] as const,
      )
      .filter(([, c]) => c.statements > 0 || c.transactions > 0),
  );
}

/** A funded card on a bank, for counting. */
export const countedCard = async (bank: CountedBank) => (await fundedCard(bank.api, 1_000_000)).cardToken;
