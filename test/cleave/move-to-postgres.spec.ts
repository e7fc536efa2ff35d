import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextDatabasesOf } from '@cleave/platform';
import { cleaveDeployment } from '../../apps/cleave/src/deployment';
import { Api, startBank, type RunningBank } from '../support/cleave-http';
import { TestDatabase } from '../support/postgres';
import { WebhookReceiver } from '../support/webhook-receiver';
import { eventually, key, NETWORK_SECRET, openAccount, signUp, topUp, type Customer } from '../http/customers';

const MOVE = fileURLToPath(new URL('../../dist/apps/cleave/src/cli/move-to-postgres.js', import.meta.url));
const MIGRATE = fileURLToPath(new URL('../../dist/apps/cleave/src/cli/migrate.js', import.meta.url));
const ADMIN = { token: 'an-operator-secret-for-moving' };
const NETWORK = { headers: { authorization: `Bearer ${NETWORK_SECRET}` } };
const CONTEXTS = (await Promise.all(Object.values(cleaveDeployment.contexts).map((load) => load()))).flatMap((module) =>
  contextDatabasesOf(module).map((o) => o.context),
);

/** Runs a command to its end, without blocking this process (the webhook receiver lives in it). */
function run(entry: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [entry, ...args],
      { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, timeout: 120_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

/** A monolith on `dataDir`'s SQLite files, or on PostgreSQL when `env` has DATABASE_URL (it wins over the files). */
function monolith(env: Record<string, string>): Promise<RunningBank> {
  return startBank('monolith', 'sqlite', { CLEAVE_ADMIN_SECRET: ADMIN.token, CLEAVE_WEBHOOKS_ALLOW_PRIVATE: 'true', ...env });
}

/** Everything a customer can read about an account over HTTP. */
async function accountView(api: Api, customer: Customer, account: string) {
  const read = async (path: string) => {
    const reply = await api.get(path, { token: customer.token });
    expect(reply.status, `${path}: ${JSON.stringify(reply.body)}`).toBe(200);
    return reply.body;
  };
  const webhooks = (await read(`/webhooks?account_id=${account}`)).webhooks as Array<{ id: string }>;
  return {
    balance: await read(`/balance?account_id=${account}`),
    transactions: (await read(`/transactions?account_id=${account}&limit=100&expand[]=merchant`)).transactions as Array<
      Record<string, any>
    >,
    feed: (await read(`/feed?account_id=${account}&limit=100`)).items as Array<Record<string, any>>,
    notifications: (await read(`/notifications?account_id=${account}`)).notifications,
    pots: (await read(`/pots?current_account_id=${account}`)).pots,
    cards: (await read(`/cards?account_id=${account}`)).cards,
    webhooks,
    deliveries: await Promise.all(webhooks.map(async (hook) => (await read(`/webhooks/${hook.id}/deliveries`)).deliveries)),
  };
}

async function authorise(api: Api, cardToken: string, amount: number): Promise<{ ntx: string; transactionId: string }> {
  const ntx = `ntx-${randomBytes(6).toString('hex')}`;
  const reply = await api.post(
    '/network/authorisations',
    { card_token: cardToken, amount, currency: 'GBP', network_transaction_id: ntx, merchant: { name: 'Brightbird Espresso', mcc: '5814' } },
    NETWORK,
  );
  expect(reply.body, JSON.stringify(reply.body)).toMatchObject({ approved: true });
  return { ntx, transactionId: reply.body.transaction_id };
}

async function present(api: Api, ntx: string, amount: number): Promise<void> {
  const reply = await api.post(
    '/network/presentments',
    { presentment_id: `p-${ntx}`, network_transaction_id: ntx, amount, currency: 'GBP' },
    NETWORK,
  );
  expect(reply.status, JSON.stringify(reply.body)).toBeLessThan(300);
}

/** Every row of every table in a schema, for checking that nothing changed. */
async function dump(url: string, schema: string): Promise<Record<string, unknown[]>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
      [schema],
    );
    const out: Record<string, unknown[]> = {};
    for (const { table_name } of tables) {
      out[table_name] = (await client.query(`SELECT * FROM "${schema}"."${table_name}"`)).rows.map((row) => JSON.stringify(row)).sort();
    }
    return out;
  } finally {
    await client.end();
  }
}

async function sql(url: string, statement: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(statement)).rows;
  } finally {
    await client.end();
  }
}

describe('npm run move-to-postgres', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cleave-move-'));
  const databases: TestDatabase[] = [];
  const banks: RunningBank[] = [];
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
  });
  afterAll(async () => {
    for (const bank of banks) await bank.stop();
    for (const db of databases) await db.drop();
    await receiver?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('moves a monolith from its SQLite files to PostgreSQL: the same balances, transactions, feed, webhooks and dead letters, an event not yet relayed relayed after, and it still serves', async () => {
    // A monolith on SQLite whose feed parks the first transaction event it gets as a dead letter.
    const sqlite = await monolith({
      CLEAVE_DATA_DIR: dataDir,
      CLEAVE_EVENT_FAULTS: 'feed:ledger.transaction-created.v1=fail:1',
      CLEAVE_EVENT_MAX_ATTEMPTS: '1',
    });
    banks.push(sqlite);
    let api = new Api(sqlite.url);
    const ada = await signUp(api, 'Ada');
    const bob = await signUp(api, 'Bob');
    const adaAccount = await openAccount(api, ada);
    const bobAccount = await openAccount(api, bob);
    const hook = await api.post('/webhooks', { account_id: adaAccount, url: receiver.url }, { token: ada.token });
    expect(hook.status).toBe(200);
    const parkedTopUp = await topUp(api, ada, adaAccount, 10_000);
    expect(
      (
        await api.post(
          '/transfers',
          { source_account_id: adaAccount, destination_account_id: bobAccount, amount: 2_500, description: 'Rent' },
          { token: ada.token, idempotencyKey: key() },
        )
      ).status,
    ).toBe(201);
    const pot = (await api.post('/pots', { current_account_id: adaAccount, name: 'Holiday' }, { token: ada.token })).body;
    expect(
      (await api.put(`/pots/${pot.id}/deposit`, { source_account_id: adaAccount, amount: 1_000, dedupe_id: key() }, { token: ada.token }))
        .status,
    ).toBe(200);
    const card = (await api.post('/cards', { account_id: adaAccount }, { token: ada.token })).body;
    const coffee = await authorise(api, card.token, 1_915);
    await present(api, coffee.ntx, 1_915);
    const held = await authorise(api, card.token, 500);
    expect(
      (
        await api.post(
          '/feed',
          { account_id: adaAccount, type: 'basic', params: { title: 'Welcome', body: 'Moved soon' } },
          { token: ada.token },
        )
      ).status,
    ).toBeLessThan(300);

    // Everything settles: the feed has an item per transaction but the parked one, the webhook every event.
    const parked = await eventually(
      async () => (await api.get('/admin/dead-letters?context=feed', ADMIN)).body.dead_letters as Array<{ id: string }>,
      (l) => l.length === 1,
    );
    const before = await eventually(
      () => accountView(api, ada, adaAccount),
      (view) =>
        view.feed.filter((item) => item.transaction_id).length === view.transactions.length - 1 &&
        view.notifications.length === 2 &&
        // a delivery per transaction created, and one for the presented payment's update
        view.deliveries[0]!.filter((d: { type: string }) => d.type === 'transaction.created').length === view.transactions.length &&
        view.deliveries[0]!.some((d: { type: string }) => d.type === 'transaction.updated') &&
        view.deliveries[0]!.every((d: { status: string }) => d.status === 'delivered'),
      15_000,
    );
    const bobBefore = await eventually(
      () => accountView(api, bob, bobAccount),
      (view) => view.feed.length === view.transactions.length,
    );

    // One event committed and never relayed: the process dies between the two.
    const crashing = await sqlite.restart(sqlite.processes[0]!, {
      CLEAVE_CRASH_AFTER_COMMIT: 'ledger.transaction-created.v1',
      CLEAVE_EVENT_FAULTS: undefined,
    });
    api = new Api(sqlite.url);
    await api.post(`/accounts/${adaAccount}/top-ups`, { amount: 700 }, { token: ada.token, idempotencyKey: key() }).catch(() => undefined);
    expect(await crashing.waitForExit()).toBe(-1);
    await sqlite.stop();

    const target = await TestDatabase.create();
    databases.push(target);
    const moved = await run(MOVE, ['--all'], { CLEAVE_DATA_DIR: dataDir, DATABASE_URL: target.url });
    expect(moved.code, moved.stderr + moved.stdout).toBe(0);
    expect(moved.stdout).toContain('Cleave must be stopped while its data moves');
    for (const context of CONTEXTS) expect(moved.stdout).toMatch(new RegExp(`^${context}: moved, \\d+ rows in \\d+ tables$`, 'm'));
    for (const table of ['ledger_postings', 'outbox', 'inbox', 'dead_letters', 'idempotency_records', 'feed_items', 'webhook_deliveries']) {
      expect(moved.stdout).toMatch(new RegExp(`^  ${table} +(\\d+) +\\1  same$`, 'm'));
    }
    expect(moved.stdout).toMatch(/ledger balances: \d+ books, \d+ balances by currency, \d+ entries: every entry sums to zero/);
    expect(moved.stdout).not.toContain('DIFFERENT');

    // The same bank on PostgreSQL: the same tokens work, and every account reads as it did.
    const postgres = await monolith({ DATABASE_URL: target.url });
    banks.push(postgres);
    api = new Api(postgres.url);
    expect(await accountView(api, bob, bobAccount)).toEqual(bobBefore);
    const after = await accountView(api, ada, adaAccount);
    const lost = after.transactions.at(-1)!;
    expect(lost).toMatchObject({ amount: 700, is_load: true });
    expect(after.transactions.slice(0, -1)).toEqual(before.transactions);
    expect(after.balance).toEqual({
      ...before.balance,
      balance: before.balance.balance + 700,
      total_balance: before.balance.total_balance + 700,
    });
    expect({ ...after, balance: undefined, transactions: undefined, feed: undefined, deliveries: undefined }).toEqual({
      ...before,
      balance: undefined,
      transactions: undefined,
      feed: undefined,
      deliveries: undefined,
    });
    expect(after.feed.slice(-before.feed.length)).toEqual(before.feed);

    // The event committed before the crash is relayed from PostgreSQL's outbox: to the feed and the webhook.
    await eventually(
      async () => (await accountView(api, ada, adaAccount)).feed.some((item) => item.transaction_id === lost.id),
      (found) => found,
    );
    await eventually(
      async () => receiver.accepted().some((d) => d.data.id === lost.id),
      (found) => found,
    );

    // The parked event is still parked, and replays.
    const stillParked = (await api.get('/admin/dead-letters?context=feed', ADMIN)).body.dead_letters as Array<{ id: string }>;
    expect(stillParked.map((l) => l.id)).toEqual(parked.map((l) => l.id));
    expect((await api.post(`/admin/dead-letters/feed/${parked[0]!.id}/replay`, undefined, ADMIN)).status).toBeLessThan(300);
    await eventually(
      async () => (await accountView(api, ada, adaAccount)).feed.some((item) => item.transaction_id === parkedTopUp.id),
      (found) => found,
    );

    // It still serves: the pending hold settles, a new transfer and card payment go through.
    await present(api, held.ntx, 500);
    expect((await api.get(`/transactions/${held.transactionId}`, { token: ada.token })).body.transaction).toMatchObject({
      amount: -500,
      amount_is_pending: false,
    });
    const transfer = await api.post(
      '/transfers',
      { source_account_id: adaAccount, destination_account_id: bobAccount, amount: 100, description: 'Lunch' },
      { token: ada.token, idempotencyKey: key() },
    );
    expect(transfer.status).toBe(201);
    await authorise(api, card.token, 200);
    expect((await api.get(`/balance?account_id=${bobAccount}`, { token: bob.token })).body.balance).toBe(bobBefore.balance.balance + 100);
    expect((await api.get(`/balance?account_id=${adaAccount}`, { token: ada.token })).body.balance).toBe(
      before.balance.balance + 700 - 100 - 200,
    );
    // New rows take ids after the moved ones (the sequences were reset): the new transfer reaches the feed.
    await eventually(
      async () => (await accountView(api, ada, adaAccount)).feed.some((item) => item.transaction_id === transfer.body.transaction?.id),
      (found) => found,
    );
  }, 180_000);

  it('refuses a SQLite file Cleave has open, a schema that already holds rows, and a copy that arrives different, changing nothing', async () => {
    const dir = join(dataDir, 'refusals');
    const sqlite = await monolith({ CLEAVE_DATA_DIR: dir });
    banks.push(sqlite);
    const api = new Api(sqlite.url);
    const customer = await signUp(api);
    const account = await openAccount(api, customer);
    await topUp(api, customer, account, 5_000);
    await topUp(api, customer, account, 1_234);

    const target = await TestDatabase.create();
    databases.push(target);
    const env = { CLEAVE_DATA_DIR: dir, DATABASE_URL: target.url };
    const inUse = await run(MOVE, ['--context', 'ledger'], env);
    expect(inUse.code).toBe(1);
    expect(inUse.stderr).toMatch(/refused: ledger: \S+ledger\.sqlite is in use by another process; stop Cleave/);
    expect(await sql(target.url, "SELECT 1 FROM information_schema.schemata WHERE schema_name = 'ledger'")).toEqual([]);
    await sqlite.stop();

    expect((await run(MOVE, ['--all'], env)).code).toBe(0);
    const movedOnce = await dump(target.url, 'ledger');
    expect(movedOnce.ledger_transactions).toHaveLength(2);
    // Moving the same files again changes nothing.
    expect((await run(MOVE, ['--all'], env)).code).toBe(0);
    expect(await dump(target.url, 'ledger')).toEqual(movedOnce);

    // The bank ran on PostgreSQL and took money: moving the file again would lose it.
    const onPostgres = await monolith({ DATABASE_URL: target.url });
    banks.push(onPostgres);
    await topUp(new Api(onPostgres.url), customer, account, 99);
    await onPostgres.stop();
    const taken = await dump(target.url, 'ledger');
    const again = await run(MOVE, ['--context', 'ledger'], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      /refused: ledger: PostgreSQL schema ledger already holds rows \S+ledger\.sqlite doesn't, or holds differently \(.*1 in ledger_transactions.*\); nothing was copied\. Pass --replace/,
    );
    expect(await dump(target.url, 'ledger')).toEqual(taken);
    const replaced = await run(MOVE, ['--context', 'ledger', '--replace'], env);
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(await dump(target.url, 'ledger')).toEqual(movedOnce);

    // A schema that changes what it is given (a trigger here): the copy's checks see it, and it is rolled back.
    const tampered = await TestDatabase.create();
    databases.push(tampered);
    expect((await run(MIGRATE, [], { DATABASE_URL: tampered.url, CLEAVE_SERVICES: 'ledger', CLEAVE_DATA_DIR: dir })).code).toBe(0);
    await sql(
      tampered.url,
      `CREATE FUNCTION ledger.skim() RETURNS trigger AS $$ BEGIN NEW.amount := NEW.amount - 1; RETURN NEW; END $$ LANGUAGE plpgsql;
       CREATE TRIGGER skim BEFORE INSERT ON ledger.ledger_postings FOR EACH ROW EXECUTE FUNCTION ledger.skim();`,
    );
    const different = await run(MOVE, ['--context', 'ledger'], { CLEAVE_DATA_DIR: dir, DATABASE_URL: tampered.url });
    expect(different.code).toBe(1);
    expect(different.stdout).toMatch(/^ {2}ledger_postings +(\d+) +\1 {2}DIFFERENT$/m);
    expect(different.stderr).toContain('ledger: ');
    expect(different.stderr).toContain('rolled back, nothing of ledger was kept');
    expect(different.stderr).toMatch(/ledger balances: PostgreSQL: entry \S+ sums to -2 GBP, not 0/);
    const left = await dump(tampered.url, 'ledger');
    expect(Object.entries(left).filter(([table, rows]) => table !== 'migrations' && rows.length > 0)).toEqual([]);
  }, 120_000);
});
