import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, startBank, type Layout, type RunningBank, type Storage } from '../support/cleave-http';
import { eventually } from './customers';

const CLIENT_ID = 'oauth2client_00009cleaveQuickStart0';

interface Customer {
  readonly userId: string;
  readonly email: string;
  readonly password: string;
  readonly token: string;
  readonly refreshToken: string;
}

let keys = 0;
const key = () => `key-${process.pid}-${++keys}-${randomBytes(4).toString('hex')}`;

/**
 * Cleave's HTTP API, end to end against real processes: every route, its happy path and its errors, and
 * that no customer reaches another's money.
 */
export function bankApiSuite(layout: Layout, storage: Storage, replicas: Record<string, number> = {}): void {
  const shown = Object.entries(replicas)
    .map(([c, n]) => `, ${n} ${c} replicas`)
    .join('');
  describe(`the HTTP API, ${layout} on ${storage}${shown}`, () => {
    let bank: RunningBank;
    let api: Api;

    async function signUp(name = 'Ada'): Promise<Customer> {
      const email = `${name.toLowerCase()}-${randomBytes(6).toString('hex')}@example.com`;
      const password = `pw-${randomBytes(8).toString('hex')}`;
      const user = await api.post('/users', { name, email, password });
      expect(user.status).toBe(201);
      // From an address of its own: the per-address login limit is a test of its own.
      const from = { 'x-forwarded-for': `10.${randomBytes(3).join('.')}` };
      const token = await api.post(
        '/oauth2/token',
        { grant_type: 'password', client_id: CLIENT_ID, username: email, password },
        { headers: from },
      );
      expect(token.status).toBe(200);
      return { userId: user.body.id, email, password, token: token.body.access_token, refreshToken: token.body.refresh_token };
    }

    async function openAccount(customer: Customer, currency = 'GBP'): Promise<string> {
      const account = await api.post('/accounts', { currency }, { token: customer.token });
      expect(account.status).toBe(201);
      return account.body.id;
    }

    async function topUp(customer: Customer, accountId: string, amount: number) {
      const reply = await api.post(`/accounts/${accountId}/top-ups`, { amount }, { token: customer.token, idempotencyKey: key() });
      expect(reply.status).toBe(201);
      return reply.body.transaction;
    }

    const balanceOf = async (customer: Customer, accountId: string) =>
      (await api.get(`/balance?account_id=${accountId}`, { token: customer.token })).body;

    beforeAll(async () => {
      // Debug level logs every request with its headers: the leak test below then reads real request logs.
      // A generous request deadline: these tests check what is answered, and a loaded CI machine can take seconds
      // to work through 60 logins raced on one address (deadlines have suites of their own).
      bank = await startBank(
        layout,
        storage,
        { CLEAVE_TRUST_PROXY: 'true', LOG_LEVEL: 'debug', CLEAVE_HTTP_TIMEOUT_MS: '30000' },
        replicas,
      );
      api = new Api(bank.url);
    });
    afterAll(async () => {
      await bank?.stop();
    });

    describe('sign-up', () => {
      it('creates a customer, without echoing the password', async () => {
        const email = `new-${randomBytes(4).toString('hex')}@example.com`;
        const reply = await api.post('/users', { name: 'Grace Hopper', email, password: 'a long password' });
        expect(reply.status).toBe(201);
        expect(reply.body).toEqual({
          id: expect.stringMatching(/^user_[0-9A-Za-z]{22}$/),
          name: 'Grace Hopper',
          email,
          created: expect.any(String),
        });
      });

      it('refuses a taken email, whatever its case', async () => {
        const email = `Taken-${randomBytes(4).toString('hex')}@Example.com`;
        await api.post('/users', { name: 'First', email, password: 'a long password' });
        const again = await api.post(
          '/users',
          { name: 'Second', email: email.toLowerCase(), password: 'another password' },
          { json: true },
        );
        expect(again.status).toBe(409);
        expect(again.body.code).toBe('conflict.email_taken');
      });

      it('names each bad field, and refuses unknown ones', async () => {
        const reply = await api.post('/users', { name: 'X', email: 'not-an-email', password: 'short', admin: 'true' });
        expect(reply.status).toBe(400);
        expect(reply.body.code).toBe('bad_request.bad_param');
        expect(Object.keys(reply.body.params).sort()).toEqual(['admin', 'email', 'password']);
      });

      it('reports missing fields as missing_param', async () => {
        const reply = await api.post('/users', { name: 'X' });
        expect(reply.status).toBe(400);
        expect(reply.body.code).toBe('bad_request.missing_param');
        expect(Object.keys(reply.body.params).sort()).toEqual(['email', 'password']);
      });
    });

    describe('tokens', () => {
      it('issues a token pair for the password grant, form-encoded or JSON', async () => {
        const customer = await signUp();
        const json = await api.post(
          '/oauth2/token',
          { grant_type: 'password', client_id: CLIENT_ID, username: customer.email, password: customer.password },
          { json: true },
        );
        expect(json.status).toBe(200);
        expect(json.body).toEqual({
          access_token: expect.stringMatching(/^cleave_at_/),
          refresh_token: expect.stringMatching(/^cleave_rt_/),
          client_id: CLIENT_ID,
          expires_in: 21_600,
          token_type: 'Bearer',
          user_id: customer.userId,
        });
      });

      it('tells who a token speaks for, and refuses requests without a valid one', async () => {
        const customer = await signUp();
        expect((await api.get('/ping/whoami', { token: customer.token })).body).toEqual({
          authenticated: true,
          client_id: CLIENT_ID,
          user_id: customer.userId,
        });
        const none = await api.get('/ping/whoami');
        expect(none.status).toBe(401);
        expect(none.body.code).toBe('unauthorized.bad_access_token');
        expect((await api.get('/accounts', { token: 'cleave_at_not-a-real-token-at-all' })).status).toBe(401);
      });

      it('refuses a wrong password and an unknown client', async () => {
        const customer = await signUp();
        const wrong = await api.post('/oauth2/token', {
          grant_type: 'password',
          client_id: CLIENT_ID,
          username: customer.email,
          password: 'wrong password',
        });
        expect(wrong.status).toBe(401);
        expect(wrong.body.code).toBe('unauthorized.bad_credentials');
        const client = await api.post('/oauth2/token', {
          grant_type: 'password',
          client_id: 'oauth2client_0000000000000000000000',
          username: customer.email,
          password: customer.password,
        });
        expect(client.body.code).toBe('unauthorized.bad_client');
        // Named as the API names them, without internal names or patterns.
        const malformed = await api.post('/oauth2/token', { grant_type: 'password', client_id: 'nope', username: customer.email });
        expect([malformed.status, malformed.body.params]).toEqual([
          400,
          { client_id: 'client_id must be an OAuth2 client id (oauth2client_…)' },
        ]);
        const noPassword = await api.post('/oauth2/token', { grant_type: 'password', client_id: CLIENT_ID, username: customer.email });
        expect([noPassword.status, noPassword.body.code, noPassword.body.params]).toEqual([
          400,
          'bad_request.missing_param',
          { password: 'password is needed for the password grant' },
        ]);
      });

      it('exchanges a refresh token once: the new pair works, the old access token does not, and a reuse ends the pair it led to', async () => {
        const customer = await signUp();
        // Used once, so the gateway has it cached: the refresh must end it at once all the same.
        expect((await api.get('/ping/whoami', { token: customer.token })).status).toBe(200);
        const refreshed = await api.post('/oauth2/token', {
          grant_type: 'refresh_token',
          client_id: CLIENT_ID,
          refresh_token: customer.refreshToken,
        });
        expect(refreshed.status).toBe(200);
        expect((await api.get('/ping/whoami', { token: refreshed.body.access_token })).status).toBe(200);
        expect((await api.get('/ping/whoami', { token: customer.token })).status).toBe(401);
        const reused = await api.post('/oauth2/token', {
          grant_type: 'refresh_token',
          client_id: CLIENT_ID,
          refresh_token: customer.refreshToken,
        });
        expect(reused.status).toBe(401);
        expect(reused.body.code).toBe('unauthorized.refresh_token_used');
        // Two holders of one refresh token: the line of tokens since the login ends, the newest pair with it.
        await eventually(
          async () => (await api.get('/ping/whoami', { token: refreshed.body.access_token })).status,
          (status) => status === 401,
        );
        const afterReuse = await api.post('/oauth2/token', {
          grant_type: 'refresh_token',
          client_id: CLIENT_ID,
          refresh_token: refreshed.body.refresh_token,
        });
        expect([afterReuse.status, afterReuse.body.code]).toEqual([401, 'unauthorized.bad_refresh_token']);
        const relogin = await api.post('/oauth2/token', {
          grant_type: 'password',
          client_id: CLIENT_ID,
          username: customer.email,
          password: customer.password,
        });
        expect((await api.get('/ping/whoami', { token: relogin.body.access_token })).status).toBe(200);
      });

      it('of two exchanges of one refresh token at once, one wins, and the other ends what it won', async () => {
        const customer = await signUp();
        const exchange = () =>
          api.post('/oauth2/token', { grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: customer.refreshToken });
        const answers = await Promise.all([exchange(), exchange()]);
        expect(answers.map((a) => a.status).sort()).toEqual([200, 401]);
        const won = answers.find((a) => a.status === 200)!;
        expect(answers.find((a) => a.status === 401)!.body.code).toBe('unauthorized.refresh_token_used');
        await eventually(
          async () => (await api.get('/ping/whoami', { token: won.body.access_token })).status,
          (status) => status === 401,
        );
      });

      it('revokes a token on logout, at once', async () => {
        const customer = await signUp();
        expect((await api.get('/ping/whoami', { token: customer.token })).status).toBe(200);
        expect((await api.post('/oauth2/logout', undefined, { token: customer.token })).status).toBe(200);
        expect((await api.get('/ping/whoami', { token: customer.token })).status).toBe(401);
        const refresh = await api.post('/oauth2/token', {
          grant_type: 'refresh_token',
          client_id: CLIENT_ID,
          refresh_token: customer.refreshToken,
        });
        expect(refresh.status).toBe(401);
      });

      it('rate-limits failed logins per user, even when the password is then right', async () => {
        const customer = await signUp();
        const from = { 'x-forwarded-for': `198.51.100.${Math.floor(Math.random() * 200)}` };
        for (let i = 0; i < 5; i++) {
          const attempt = await api.post(
            '/oauth2/token',
            { grant_type: 'password', client_id: CLIENT_ID, username: customer.email, password: 'nope' },
            { headers: from },
          );
          expect(attempt.status).toBe(401);
        }
        const limited = await api.post(
          '/oauth2/token',
          { grant_type: 'password', client_id: CLIENT_ID, username: customer.email, password: customer.password },
          { headers: from },
        );
        expect(limited.status).toBe(429);
        expect(limited.body.code).toBe('too_many_requests.too_many_login_attempts');
      });

      // An IPv6 client holds a /64: each of its addresses was counted apart, so guesses were unlimited.
      it('rate-limits logins per client address, an IPv6 /64 as one', async () => {
        const v4 = `203.0.113.${Math.floor(Math.random() * 200)}`;
        const v6 = `2001:db8:${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}`;
        for (const from of [() => v4, (i: number) => `${v6}::${(i + 1).toString(16)}`]) {
          let status = 0;
          for (let i = 0; i < 31 && status !== 429; i++) {
            status = (
              await api.post(
                '/oauth2/token',
                { grant_type: 'password', client_id: CLIENT_ID, username: `nobody${i}@example.com`, password: 'x' },
                { headers: { 'x-forwarded-for': from(i) } },
              )
            ).status;
          }
          expect([from(0), status]).toEqual([from(0), 429]);
        }
        const elsewhere = await api.post(
          '/oauth2/token',
          { grant_type: 'password', client_id: CLIENT_ID, username: 'nobody@example.com', password: 'x' },
          { headers: { 'x-forwarded-for': '192.0.2.77' } },
        );
        expect(elsewhere.status).toBe(401);
      });
    });

    describe('login limits under concurrency', () => {
      it('lets no more wrong passwords be tried at once than the limit allows', async () => {
        const customer = await signUp();
        const attempts = await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            api.post(
              '/oauth2/token',
              { grant_type: 'password', client_id: CLIENT_ID, username: customer.email, password: `wrong-${i}` },
              { headers: { 'x-forwarded-for': `198.18.${i}.1` } },
            ),
          ),
        );
        const statuses = attempts.map((a) => a.status);
        expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
        expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
      });

      it('lets no more logins from one address be tried at once than the limit allows', async () => {
        const from = { 'x-forwarded-for': `203.0.113.${200 + Math.floor(Math.random() * 50)}` };
        const attempts = await Promise.all(
          Array.from({ length: 60 }, (_, i) =>
            api.post(
              '/oauth2/token',
              { grant_type: 'password', client_id: CLIENT_ID, username: `racer${i}@example.com`, password: 'x' },
              { headers: from },
            ),
          ),
        );
        const evaluated = attempts.filter((a) => a.status !== 429).length;
        expect(evaluated).toBeLessThanOrEqual(30);
        expect(attempts.filter((a) => a.status !== 401 && a.status !== 429)).toEqual([]);
      });
    });

    describe('accounts and balances', () => {
      it('opens accounts and lists only the customer’s own', async () => {
        const [ada, bob] = [await signUp('Ada'), await signUp('Bob')];
        const adaAccount = await openAccount(ada);
        await openAccount(bob);
        const list = await api.get('/accounts', { token: ada.token });
        expect(list.body.accounts).toEqual([
          {
            id: adaAccount,
            description: 'Current account',
            created: expect.any(String),
            currency: 'GBP',
            type: 'uk_retail',
            closed: false,
            owners: [{ user_id: ada.userId }],
          },
        ]);
      });

      it('tops up, with an Idempotency-Key: replays give the first result, a reused key for another amount is a conflict', async () => {
        const ada = await signUp();
        const account = await openAccount(ada);
        const missing = await api.post(`/accounts/${account}/top-ups`, { amount: 1000 }, { token: ada.token });
        expect(missing.status).toBe(400);
        expect(missing.body.code).toBe('bad_request.missing_idempotency_key');
        const k = key();
        const first = await api.post(`/accounts/${account}/top-ups`, { amount: 10_000 }, { token: ada.token, idempotencyKey: k });
        expect(first.status).toBe(201);
        expect(first.body.transaction).toMatchObject({ account_id: account, amount: 10_000, is_load: true, currency: 'GBP' });
        const replay = await api.post(`/accounts/${account}/top-ups`, { amount: 10_000 }, { token: ada.token, idempotencyKey: k });
        expect(replay.body.transaction.id).toBe(first.body.transaction.id);
        const conflict = await api.post(`/accounts/${account}/top-ups`, { amount: 20_000 }, { token: ada.token, idempotencyKey: k });
        expect(conflict.status).toBe(409);
        expect(conflict.body.code).toBe('conflict.idempotency_key_reused');
        expect(await balanceOf(ada, account)).toEqual({ balance: 10_000, total_balance: 10_000, currency: 'GBP', spend_today: 0 });
      });

      // `usd` passed as a currency code and opened a `usd` account that no `USD` payment matched.
      it('takes currency codes in either case and keeps them in upper case', async () => {
        const ada = await signUp();
        const opened = await api.post('/accounts', { currency: 'eur' }, { token: ada.token });
        expect([opened.status, opened.body.currency]).toEqual([201, 'EUR']);
        const topUp = await api.post(
          `/accounts/${opened.body.id}/top-ups`,
          { amount: 700, currency: 'eUr' },
          { token: ada.token, idempotencyKey: key() },
        );
        expect([topUp.status, topUp.body.transaction?.currency]).toEqual([201, 'EUR']);
        expect(await balanceOf(ada, opened.body.id)).toMatchObject({ balance: 700, currency: 'EUR' });
        for (const currency of ['eu', 'euro', 'zzz', 'é€u']) {
          const reply = await api.post('/accounts', { currency }, { token: ada.token });
          expect([currency, reply.status, Object.keys(reply.body.params ?? {})]).toEqual([currency, 400, ['currency']]);
        }
      });

      it('refuses bad amounts as parameters', async () => {
        const ada = await signUp();
        const account = await openAccount(ada);
        for (const amount of ['0', '-5', '12.5', 'ten', String(2 ** 40)]) {
          const reply = await api.post(`/accounts/${account}/top-ups`, { amount }, { token: ada.token, idempotencyKey: key() });
          expect(reply.status).toBe(400);
          expect(reply.body.params).toHaveProperty('amount');
        }
      });

      it('rejects a malformed account id, and answers 404 for one that does not exist', async () => {
        const ada = await signUp();
        expect((await api.get('/balance?account_id=bogus', { token: ada.token })).status).toBe(400);
        const missing = await api.get('/balance?account_id=acc_0000000000000000000000', { token: ada.token });
        expect(missing.status).toBe(404);
        expect(missing.body.code).toBe('not_found');
      });
    });

    describe('transfers', () => {
      it('pays another customer: both balances move, each side sees the other as counterparty', async () => {
        const [ada, bob] = [await signUp('Ada'), await signUp('Bob')];
        const [a, b] = [await openAccount(ada), await openAccount(bob)];
        await topUp(ada, a, 5_000);
        const paid = await api.post(
          '/transfers',
          { source_account_id: a, destination_account_id: b, amount: 1_250, description: 'Dinner' },
          { token: ada.token, idempotencyKey: key() },
        );
        expect(paid.status).toBe(201);
        expect(paid.body.transaction).toMatchObject({
          account_id: a,
          amount: -1_250,
          description: 'Dinner',
          category: 'transfers',
          counterparty: { account_id: b },
        });
        expect(await balanceOf(ada, a)).toMatchObject({ balance: 3_750, spend_today: -1_250 });
        expect((await balanceOf(bob, b)).balance).toBe(1_250);
        const bobs = await api.get(`/transactions?account_id=${b}`, { token: bob.token });
        expect(bobs.body.transactions).toEqual([expect.objectContaining({ amount: 1_250, counterparty: { account_id: a } })]);
      });

      it('refuses what it must: too little money, no such account, itself, another currency, no key', async () => {
        const [ada, bob] = [await signUp('Ada'), await signUp('Bob')];
        const [a, b, euro] = [await openAccount(ada), await openAccount(bob), await openAccount(bob, 'EUR')];
        await topUp(ada, a, 1_000);
        const send = (destination: string, amount: number, withKey = true) =>
          api.post(
            '/transfers',
            { source_account_id: a, destination_account_id: destination, amount },
            { token: ada.token, idempotencyKey: withKey ? key() : undefined },
          );
        const poor = await send(b, 1_001);
        expect([poor.status, poor.body.code]).toEqual([412, 'precondition_failed.insufficient_funds']);
        expect((await send('acc_0000000000000000000000', 1)).status).toBe(404);
        expect((await send(a, 1)).body.code).toBe('bad_request.same_account');
        const euroRefused = await send(euro, 1);
        expect(euroRefused.body.code).toBe('bad_request.currency_mismatch');
        // Bob's account is his: the refusal doesn't tell Ada what it holds.
        expect(euroRefused.body.message).not.toContain('EUR');
        expect((await send(b, 1, false)).body.code).toBe('bad_request.missing_idempotency_key');
        expect((await balanceOf(ada, a)).balance).toBe(1_000);
      });

      it('moves money once when the same request is retried with its key', async () => {
        const [ada, bob] = [await signUp('Ada'), await signUp('Bob')];
        const [a, b] = [await openAccount(ada), await openAccount(bob)];
        await topUp(ada, a, 1_000);
        const k = key();
        const replies = await Promise.all(
          Array.from({ length: 5 }, () =>
            api.post(
              '/transfers',
              { source_account_id: a, destination_account_id: b, amount: 300 },
              { token: ada.token, idempotencyKey: k },
            ),
          ),
        );
        expect(new Set(replies.map((r) => r.body.transaction.id)).size).toBe(1);
        expect((await balanceOf(ada, a)).balance).toBe(700);
      });

      // Both moved money before: a key was kept per route, so a top-up's key was new to transfers.
      it("refuses a top-up's key on a transfer and a transfer's key on a top-up, as Stripe does across endpoints", async () => {
        const [ada, bob] = [await signUp('Ada'), await signUp('Bob')];
        const [a, b] = [await openAccount(ada), await openAccount(bob)];
        const toppedUp = key();
        expect((await api.post(`/accounts/${a}/top-ups`, { amount: 1_000 }, { token: ada.token, idempotencyKey: toppedUp })).status).toBe(
          201,
        );
        const transfer = { source_account_id: a, destination_account_id: b, amount: 300 };
        const reused = await api.post('/transfers', transfer, { token: ada.token, idempotencyKey: toppedUp });
        expect([reused.status, reused.body.code]).toEqual([409, 'conflict.idempotency_key_reused']);
        const transferred = key();
        expect((await api.post('/transfers', transfer, { token: ada.token, idempotencyKey: transferred })).status).toBe(201);
        const back = await api.post(`/accounts/${a}/top-ups`, { amount: 1_000 }, { token: ada.token, idempotencyKey: transferred });
        expect([back.status, back.body.code]).toEqual([409, 'conflict.idempotency_key_reused']);
        expect((await balanceOf(ada, a)).balance).toBe(700);
        expect((await balanceOf(bob, b)).balance).toBe(300);
        // At once, one of the two wins the key.
        const raced = key();
        const race = await Promise.all([
          api.post(`/accounts/${a}/top-ups`, { amount: 50 }, { token: ada.token, idempotencyKey: raced }),
          api.post('/transfers', { ...transfer, amount: 50 }, { token: ada.token, idempotencyKey: raced }),
        ]);
        expect(race.map((r) => r.status).sort()).toEqual([201, 409]);
        expect((await balanceOf(ada, a)).balance).toBe(race[0].status === 201 ? 750 : 650);
        // Another customer's keys are theirs alone.
        expect((await api.post(`/accounts/${b}/top-ups`, { amount: 100 }, { token: bob.token, idempotencyKey: toppedUp })).status).toBe(
          201,
        );
      });
    });

    describe('what no body may carry', () => {
      // class-validator's whitelist looks names up on a plain object, so these passed as known fields.
      it.each(['toString', 'constructor', 'valueOf', 'hasOwnProperty'])('refuses a field named %s, top-level or nested', async (name) => {
        const ada = await signUp();
        const account = await openAccount(ada);
        const topLevel = await api.post(
          '/pots',
          { current_account_id: account, name: 'Named', [name]: null },
          { token: ada.token, json: true },
        );
        expect([topLevel.status, topLevel.body.params]).toEqual([400, { [name]: `property ${name} should not exist` }]);
        const tx = await topUp(ada, account, 100);
        const nested = await api.patch(`/transactions/${tx.id}`, { metadata: { [name]: 'x' } }, { token: ada.token, json: true });
        expect([nested.status, Object.keys(nested.body.params ?? {})]).toEqual([400, [`metadata[${name}]`]]);
        // Form-encoded, the key was dropped without a word and the rest went through.
        const form = await api.post('/pots', { current_account_id: account, name: 'Named', [name]: 'x' }, { token: ada.token });
        expect([form.status, form.body.params]).toEqual([400, { [name]: `property ${name} should not exist` }]);
        const nestedForm = await api.patch(`/transactions/${tx.id}`, { metadata: { [name]: 'x', trip: 'Lisbon' } }, { token: ada.token });
        expect([nestedForm.status, Object.keys(nestedForm.body.params ?? {})]).toEqual([400, [`metadata[${name}]`]]);
        expect((await api.get(`/transactions/${tx.id}`, { token: ada.token })).body.transaction.metadata).toEqual({});
      });

      it('answers a HEAD of the notification stream with its headers, and ends it', async () => {
        const ada = await signUp();
        const account = await openAccount(ada);
        const head = await fetch(`${api.base}/notifications/stream?account_id=${account}`, {
          method: 'HEAD',
          headers: { authorization: `Bearer ${ada.token}` },
          signal: AbortSignal.timeout(10_000),
        });
        expect([head.status, head.headers.get('content-type')]).toEqual([200, 'text/event-stream; charset=utf-8']);
      });
    });

    describe('pots', () => {
      // A balance asks the ledger for every pot's in one call of at most 100 books: an account with more pots
      // could read neither its balance nor its pots.
      // 150 created at once once made 106 pots on PostgreSQL, and the account's balance could not be read again.
      it('keeps an account to 50 pots however many are asked for at once, and reads its balance and pots with all of them', async () => {
        const ada = await signUp();
        const account = await openAccount(ada);
        const created = await Promise.all(
          Array.from({ length: 60 }, (_, i) => api.post('/pots', { current_account_id: account, name: `Pot ${i}` }, { token: ada.token })),
        );
        expect(created.filter((r) => r.status === 200 || r.status === 201)).toHaveLength(50);
        expect(new Set(created.filter((r) => r.status >= 400).map((r) => r.body.code))).toEqual(new Set(['conflict.too_many_pots']));
        const fiftyFirst = await api.post('/pots', { current_account_id: account, name: 'One too many' }, { token: ada.token });
        expect([fiftyFirst.status, fiftyFirst.body.code]).toEqual([409, 'conflict.too_many_pots']);
        expect((await api.get(`/pots?current_account_id=${account}`, { token: ada.token })).body.pots).toHaveLength(50);
        expect((await api.get(`/balance?account_id=${account}`, { token: ada.token })).status).toBe(200);
      });

      it('creates pots, moves money in and out with dedupe_id, and counts them in total_balance', async () => {
        const ada = await signUp();
        const account = await openAccount(ada);
        await topUp(ada, account, 10_000);
        const pot = await api.post('/pots', { current_account_id: account, name: 'Holiday' }, { token: ada.token });
        expect(pot.status).toBe(201);
        expect(pot.body).toMatchObject({ name: 'Holiday', balance: 0, currency: 'GBP', deleted: false, current_account_id: account });
        const dedupe = `d-${randomBytes(4).toString('hex')}`;
        const deposit = () =>
          api.put(`/pots/${pot.body.id}/deposit`, { source_account_id: account, amount: 4_000, dedupe_id: dedupe }, { token: ada.token });
        expect((await deposit()).body.balance).toBe(4_000);
        expect((await deposit()).body.balance).toBe(4_000);
        expect(await balanceOf(ada, account)).toEqual({ balance: 6_000, total_balance: 10_000, currency: 'GBP', spend_today: 0 });
        const withdraw = await api.put(
          `/pots/${pot.body.id}/withdraw`,
          { destination_account_id: account, amount: 1_500, dedupe_id: `w-${dedupe}` },
          { token: ada.token },
        );
        expect(withdraw.body.balance).toBe(2_500);
        const tooMuch = await api.put(
          `/pots/${pot.body.id}/withdraw`,
          { destination_account_id: account, amount: 2_501, dedupe_id: `x-${dedupe}` },
          { token: ada.token },
        );
        expect([tooMuch.status, tooMuch.body.code]).toEqual([412, 'precondition_failed.insufficient_funds']);
        const list = await api.get(`/pots?current_account_id=${account}`, { token: ada.token });
        expect(list.body.pots).toEqual([expect.objectContaining({ id: pot.body.id, balance: 2_500 })]);
      });

      it('refuses a pot move from an account the pot does not belong to', async () => {
        const ada = await signUp();
        const [one, two] = [await openAccount(ada), await openAccount(ada)];
        await topUp(ada, two, 1_000);
        const pot = await api.post('/pots', { current_account_id: one, name: 'Rainy day' }, { token: ada.token });
        const reply = await api.put(
          `/pots/${pot.body.id}/deposit`,
          { source_account_id: two, amount: 100, dedupe_id: 'x' },
          { token: ada.token },
        );
        expect(reply.body.code).toBe('bad_request.wrong_account');
      });
    });

    describe('transactions', () => {
      it('lists oldest first and pages with since (time or id), before and limit', async () => {
        const ada = await signUp();
        const account = await openAccount(ada);
        const made = [];
        for (const amount of [100, 200, 300, 400]) {
          made.push(await topUp(ada, account, amount));
          await new Promise((r) => setTimeout(r, 5));
        }
        const list = async (query: string) =>
          (await api.get(`/transactions?account_id=${account}${query}`, { token: ada.token })).body.transactions.map(
            (t: { amount: number }) => t.amount,
          );
        expect(await list('')).toEqual([100, 200, 300, 400]);
        expect(await list('&limit=2')).toEqual([100, 200]);
        expect(await list(`&since=${made[1].id}`)).toEqual([300, 400]);
        expect(await list(`&since=${encodeURIComponent(made[0].created)}`)).toEqual([200, 300, 400]);
        expect(await list(`&before=${encodeURIComponent(made[2].created)}`)).toEqual([100, 200]);
        for (const [bad, field, reason] of [
          ['&limit=0', 'limit', /not be less than 1/],
          ['&limit=101', 'limit', /not be greater than 100/],
          // Told what it isn't: its range was reported first, "must not be greater than 100".
          ['&limit=abc', 'limit', /must be an integer/],
          ['&limit=1.5', 'limit', /must be an integer/],
          ['&before=yesterday', 'before', /./],
        ] as const) {
          const reply = await api.get(`/transactions?account_id=${account}${bad}`, { token: ada.token });
          expect([bad, reply.status, reply.body.params]).toEqual([bad, 400, { [field]: expect.stringMatching(reason) }]);
        }
        // Only ISO 8601 with a four-digit year: `Date.parse` read these as times, and `+275760-…` listed everything.
        expect(await list(`&since=${encodeURIComponent('9999-12-31T00:00:00Z')}`)).toEqual([]);
        for (const since of ['+275760-09-13T00:00:00Z', '0', '-1', 'March 7', 'tx_0000000000000000000000']) {
          const reply = await api.get(`/transactions?account_id=${account}&since=${encodeURIComponent(since)}`, { token: ada.token });
          expect([since, reply.status, Object.keys(reply.body.params ?? {})]).toEqual([since, 400, ['since']]);
        }
        const noSuchItem = await api.get(`/feed?account_id=${account}&before=feeditem_0000000000000000000000`, { token: ada.token });
        expect([noSuchItem.status, Object.keys(noSuchItem.body.params ?? {})]).toEqual([400, ['before']]);
      });

      it('reads one transaction, and annotates it with form-encoded metadata and notes', async () => {
        const ada = await signUp();
        const account = await openAccount(ada);
        const tx = await topUp(ada, account, 500);
        expect((await api.get(`/transactions/${tx.id}`, { token: ada.token })).body.transaction).toEqual(tx);
        const patched = await api.patch(
          `/transactions/${tx.id}`,
          { metadata: { trip: 'Lisbon', tag: 'x' }, notes: 'birthday' },
          { token: ada.token },
        );
        expect(patched.status).toBe(200);
        expect(patched.body.transaction).toMatchObject({ metadata: { trip: 'Lisbon', tag: 'x' }, notes: 'birthday' });
        const cleared = await api.patch(`/transactions/${tx.id}`, { metadata: { tag: '' } }, { token: ada.token });
        expect(cleared.body.transaction.metadata).toEqual({ trip: 'Lisbon' });
        // Each change is dated (it was the creation time for good), so two heard out of order can be told apart.
        const later = async (after: string) => {
          while (Date.now() <= Date.parse(after)) await new Promise((resolve) => setImmediate(resolve));
        };
        await later(cleared.body.transaction.updated);
        const renoted = (await api.patch(`/transactions/${tx.id}`, { notes: 'party' }, { token: ada.token })).body.transaction;
        expect([tx.updated, patched.body.transaction.updated, renoted.updated]).toEqual([
          tx.created,
          expect.any(String),
          expect.any(String),
        ]);
        expect(patched.body.transaction.updated >= tx.created && renoted.updated > cleared.body.transaction.updated).toBe(true);
        expect((await api.get(`/transactions/${tx.id}`, { token: ada.token })).body.transaction.updated).toBe(renoted.updated);
        expect((await api.get('/transactions/tx_0000000000000000000000', { token: ada.token })).status).toBe(404);
      });

      // A string's characters became keys one by one, and a megabyte of them held the event loop for seconds
      // before the ledger counted more than 50.
      it('refuses metadata that is not an object of at most 50 text values, naming the field', async () => {
        const ada = await signUp();
        const account = await openAccount(ada);
        const tx = await topUp(ada, account, 500);
        const tooMany = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
        const cases: Array<[string, unknown, boolean, RegExp]> = [
          ['a form string', 'abc', false, /must be an object/],
          ['a JSON string', 'x'.repeat(200_000), true, /must be an object/],
          ['null', null, true, /must be an object/],
          ['an array', ['a'], true, /must be an object/],
          ['51 keys', tooMany, true, /at most 50 keys/],
          ['60,000 keys', Object.fromEntries(Array.from({ length: 60_000 }, (_, i) => [`${i}`, ''])), true, /has more than 1000 fields/],
          ['a number value', { a: 1 }, true, /\[a\] must be a string/],
          ['a long value', { a: 'v'.repeat(501) }, true, /\[a\] must be at most 500 characters/],
          ['a long key', { ['k'.repeat(101)]: 'v' }, true, /keys must be 1-100 characters/],
        ];
        for (const [what, metadata, json, reason] of cases) {
          const reply = await api.patch(`/transactions/${tx.id}`, { metadata }, { token: ada.token, json });
          expect([what, reply.status, reply.body.code]).toEqual([what, 400, 'bad_request.bad_param']);
          expect([what, reply.body.params]).toEqual([what, { metadata: expect.stringMatching(reason) }]);
        }
        expect((await api.get(`/transactions/${tx.id}`, { token: ada.token })).body.transaction.metadata).toEqual({});
      });
    });

    it('leaks nothing of one customer to another: every account-scoped route answers 404', async () => {
      const [ada, bob] = [await signUp('Ada'), await signUp('Bob')];
      const [a, b] = [await openAccount(ada), await openAccount(bob)];
      const tx = await topUp(ada, a, 5_000);
      const pot = (await api.post('/pots', { current_account_id: a, name: 'Mine' }, { token: ada.token })).body.id;
      await api.put(`/pots/${pot}/deposit`, { source_account_id: a, amount: 1_000, dedupe_id: 'ada-1' }, { token: ada.token });
      const as = { token: bob.token };
      const attempts = [
        api.get(`/balance?account_id=${a}`, as),
        api.get(`/transactions?account_id=${a}`, as),
        api.get(`/transactions/${tx.id}`, as),
        api.patch(`/transactions/${tx.id}`, { notes: 'mine now' }, as),
        api.post(`/accounts/${a}/top-ups`, { amount: 1 }, { ...as, idempotencyKey: key() }),
        api.post('/transfers', { source_account_id: a, destination_account_id: b, amount: 100 }, { ...as, idempotencyKey: key() }),
        api.get(`/pots?current_account_id=${a}`, as),
        api.post('/pots', { current_account_id: a, name: 'Theirs' }, as),
        api.put(`/pots/${pot}/deposit`, { source_account_id: a, amount: 1, dedupe_id: 'bob-1' }, as),
        api.put(`/pots/${pot}/withdraw`, { destination_account_id: a, amount: 1, dedupe_id: 'bob-2' }, as),
        api.put(`/pots/${pot}/withdraw`, { destination_account_id: b, amount: 1, dedupe_id: 'bob-3' }, as),
      ];
      for (const reply of await Promise.all(attempts)) {
        expect(reply.status).toBe(404);
        expect(reply.body.code).toMatch(/^not_found/);
      }
      expect(await balanceOf(ada, a)).toEqual({ balance: 4_000, total_balance: 5_000, currency: 'GBP', spend_today: 0 });
      expect((await api.get(`/transactions/${tx.id}`, { token: ada.token })).body.transaction.notes).toBe('');
      expect((await api.get('/accounts', as)).body.accounts.map((x: { id: string }) => x.id)).toEqual([b]);
    });

    // What third-party Monzo clients (pymonzo, monzo-bank, monzo-js, petermcd's monzo-api) send and read: each
    // of these broke one of them.
    describe("what Monzo's clients send and read", () => {
      it('speaks OAuth to OAuth libraries: error codes they read, client credentials as HTTP Basic, any case of Bearer', async () => {
        const customer = await signUp();
        const from = { 'x-forwarded-for': `10.${randomBytes(3).join('.')}` };
        const basic = `Basic ${Buffer.from(`${CLIENT_ID}:`).toString('base64')}`;
        const viaBasic = await api.post(
          '/oauth2/token',
          { grant_type: 'password', username: customer.email, password: customer.password },
          { headers: { ...from, authorization: basic } },
        );
        expect([viaBasic.status, viaBasic.body.client_id]).toEqual([200, CLIENT_ID]);
        const otherClient = await api.post(
          '/oauth2/token',
          { grant_type: 'password', client_id: 'oauth2client_0000000000000000000000', username: customer.email, password: 'x' },
          { headers: { ...from, authorization: basic } },
        );
        expect([otherClient.status, Object.keys(otherClient.body.params)]).toEqual([400, ['client_id']]);
        const oauthError = async (body: Record<string, unknown>) => {
          const reply = await api.post('/oauth2/token', body, { headers: from });
          return [reply.status, reply.body.error, typeof reply.body.error_description];
        };
        const login = { client_id: CLIENT_ID, username: customer.email };
        expect(await oauthError({ grant_type: 'password', ...login, password: 'wrong' })).toEqual([401, 'invalid_grant', 'string']);
        expect(await oauthError({ grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: 'cleave_rt_nope' })).toEqual([
          401,
          'invalid_grant',
          'string',
        ]);
        expect(await oauthError({ grant_type: 'authorization_code', client_id: CLIENT_ID })).toEqual([
          400,
          'unsupported_grant_type',
          'string',
        ]);
        expect(await oauthError({ grant_type: 'password', username: customer.email, password: 'x' })).toEqual([
          400,
          'invalid_request',
          'string',
        ]);
        const badToken = await api.get('/ping/whoami', { headers: { authorization: 'Bearer cleave_at_not-a-real-token-at-all' } });
        expect([badToken.status, badToken.body.code, badToken.body.error, badToken.headers.get('www-authenticate')]).toEqual([
          401,
          'unauthorized.bad_access_token',
          'invalid_token',
          'Bearer error="invalid_token"',
        ]);
        expect((await api.get('/ping/whoami', { headers: { authorization: `bearer ${customer.token}` } })).status).toBe(200);
        // RFC 6749: tokens are not cached; one way of authenticating the client; a failed Basic says so.
        expect(viaBasic.headers.get('cache-control')).toBe('no-store');
        const twoWays = await api.post(
          '/oauth2/token',
          { grant_type: 'password', username: customer.email, password: customer.password, client_secret: 'x' },
          { headers: { ...from, authorization: basic } },
        );
        expect([twoWays.status, Object.keys(twoWays.body.params)]).toEqual([400, ['client_secret']]);
        const unknownClient = await api.post(
          '/oauth2/token',
          { grant_type: 'password', username: customer.email, password: customer.password },
          { headers: { ...from, authorization: `Basic ${Buffer.from('oauth2client_0000000000000000000000:x').toString('base64')}` } },
        );
        expect([unknownClient.status, unknownClient.body.error, unknownClient.headers.get('www-authenticate')]).toEqual([
          401,
          'invalid_client',
          'Basic realm="cleave"',
        ]);
      });

      // Node keeps the first of two Authorization headers: a proxy that authorised the last one would act for another.
      it('refuses a repeated Authorization header and a Request-Timeout-Ms that is not a whole number', async () => {
        const [ada, bob] = [await signUp('Ada'), await signUp('Bob')];
        const url = new URL('/ping/whoami', bank.url);
        const raw = (headers: string[]) =>
          new Promise<{ status: number; body: string }>((resolve, reject) => {
            const sent = httpRequest(url, { headers }, (response) => {
              let body = '';
              response.setEncoding('utf8').on('data', (chunk) => (body += chunk));
              response.on('end', () => resolve({ status: response.statusCode!, body }));
            });
            sent.on('error', reject).end();
          });
        // Without a Host header, in the API's shape too (Node's own refusal had no body).
        const hostless = await raw(['Authorization', `Bearer ${ada.token}`]);
        expect([hostless.status, JSON.parse(hostless.body).params]).toEqual([400, { host: 'the host header is required' }]);
        const reply = await raw(['Host', url.host, 'Authorization', `Bearer ${ada.token}`, 'Authorization', `Bearer ${bob.token}`]);
        expect([reply.status, JSON.parse(reply.body).code, JSON.parse(reply.body).params]).toEqual([
          400,
          'bad_request.bad_header',
          { authorization: 'the authorization header must be sent once' },
        ]);
        for (const budget of ['0', '-5', 'abc', '3.5', '1e3']) {
          const hurried = await api.get('/ping/whoami', { token: ada.token, headers: { 'request-timeout-ms': budget } });
          expect([budget, hurried.status, hurried.body.code]).toEqual([budget, 400, 'bad_request.bad_header']);
        }
        expect((await api.get('/ping/whoami', { token: ada.token, headers: { 'request-timeout-ms': '2000' } })).status).toBe(200);
      });

      it('takes paths with a trailing slash, filters accounts by type, and answers 200 where Monzo does', async () => {
        const ada = await signUp();
        const account = await openAccount(ada);
        expect((await api.get('/ping/whoami/', { token: ada.token })).status).toBe(200);
        const ids = async (query: string) =>
          (await api.get(`/accounts/${query}`, { token: ada.token })).body.accounts.map((a: { id: string }) => a.id);
        expect(await ids('?account_type=uk_retail')).toEqual([account]);
        expect(await ids('?account_type=uk_retail_joint')).toEqual([]);
        const feedItem = await api.post('/feed', { account_id: account, type: 'basic', params: { title: 'Hi' } }, { token: ada.token });
        const webhook = await api.post('/webhooks', { account_id: account, url: 'https://93.184.215.14/hook' }, { token: ada.token });
        expect([feedItem.status, webhook.status]).toEqual([200, 200]);
      });

      // Each event is delivered to every webhook of its account: 1,000 registrations made one payment 1,000 deliveries.
      it('keeps an account to 20 webhooks however many are asked for at once, and frees a place when one is deleted', async () => {
        const ada = await signUp();
        const account = await openAccount(ada);
        const register = (i: number) =>
          api.post('/webhooks', { account_id: account, url: `https://93.184.215.14/hook/${i}` }, { token: ada.token });
        const registered = await Promise.all(Array.from({ length: 30 }, (_, i) => register(i)));
        expect(registered.filter((r) => r.status === 200)).toHaveLength(20);
        expect(new Set(registered.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.body.code}`))).toEqual(
          new Set(['409 conflict.too_many_webhooks']),
        );
        expect((await api.get(`/webhooks?account_id=${account}`, { token: ada.token })).body.webhooks).toHaveLength(20);
        const first = registered.find((r) => r.status === 200)!.body.webhook.id;
        expect((await api.delete(`/webhooks/${first}`, { token: ada.token })).status).toBe(200);
        expect((await register(99)).status).toBe(200);
        expect((await register(100)).status).toBe(409);
        // At the cap, refused before its host is looked up: `.invalid` never resolves, and would be a 400.
        const unresolvable = await api.post('/webhooks', { account_id: account, url: 'https://cap.invalid/hook' }, { token: ada.token });
        expect([unresolvable.status, unresolvable.body.code]).toEqual([409, 'conflict.too_many_webhooks']);
      });

      it("shows transactions and pots with the fields Monzo's live API has, and notes set through metadata[notes]", async () => {
        const ada = await signUp();
        const account = await openAccount(ada);
        const topped = await topUp(ada, account, 5_000);
        expect(topped).toMatchObject({
          category: 'mondo',
          categories: { mondo: 5_000 },
          scheme: 'payport_faster_payments',
          include_in_spending: false,
          user_id: ada.userId,
          dedupe_id: topped.id,
          updated: topped.created,
          attachments: null,
          fees: {},
          can_split_the_bill: false,
        });
        const patched = await api.patch(
          `/transactions/${topped.id}`,
          { metadata: { notes: 'via metadata', trip: 'Lisbon' } },
          { token: ada.token },
        );
        expect(patched.body.transaction).toMatchObject({ notes: 'via metadata', metadata: { trip: 'Lisbon' } });
        expect(patched.body.transaction.metadata).not.toHaveProperty('notes');
        // Some clients send the account along; it must be the transaction's.
        const withAccount = await api.get(`/transactions/${topped.id}?account_id=${account}&expand[]=merchant`, { token: ada.token });
        expect(withAccount.body.transaction.id).toBe(topped.id);
        const otherAccount = await openAccount(ada);
        expect((await api.get(`/transactions/${topped.id}?account_id=${otherAccount}`, { token: ada.token })).status).toBe(404);

        const pot = (await api.post('/pots', { current_account_id: account, name: 'Holiday' }, { token: ada.token })).body;
        const deposit = () =>
          api.put(`/pots/${pot.id}/deposit`, { source_account_id: account, amount: 100, dedupe_id: 'once' }, { token: ada.token });
        const first = (await deposit()).body;
        expect(first).toMatchObject({ type: 'default', round_up: false, round_up_multiplier: null, locked: false });
        // A replay moves no money and changes nothing, the pot's `updated` included.
        await new Promise((resolve) => setTimeout(resolve, 20));
        const replay = (await deposit()).body;
        expect([replay.balance, replay.updated]).toEqual([100, first.updated]);
        const listed = (await api.get(`/pots?current_account_id=${account}`, { token: ada.token })).body.pots;
        expect(listed[0].updated).toBe(first.updated);
      });

      it('pages transactions 30 at a time unless told otherwise, as Monzo does', async () => {
        const ada = await signUp();
        const account = await openAccount(ada);
        for (let i = 0; i < 31; i++) await topUp(ada, account, 100 + i);
        const page = (await api.get(`/transactions?account_id=${account}`, { token: ada.token })).body.transactions;
        expect(page).toHaveLength(30);
        expect((await api.get(`/transactions?account_id=${account}&limit=100`, { token: ada.token })).body.transactions).toHaveLength(31);
      });
    });

    describe('inputs a bank must refuse, with the same answer on every engine', () => {
      const NETWORK = { authorization: 'Bearer cleave-development-network-secret' };
      const heart = '\u2764\uFE0F'; // ❤️: one glyph, two characters as PostgreSQL counts them

      /** A card on a funded account, for the network routes. */
      async function card(ada: Customer, account: string): Promise<string> {
        const issued = await api.post('/cards', { account_id: account }, { token: ada.token });
        expect(issued.status).toBe(201);
        return issued.body.token;
      }

      it('counts the length of text as the database does: at the limit it is stored, past it refused, never a 500', async () => {
        const ada = await signUp();
        const account = await openAccount(ada);
        // 20 hearts are 40 characters: a pot name's limit.
        expect((await api.post('/pots', { current_account_id: account, name: heart.repeat(20) }, { token: ada.token })).status).toBe(201);
        const cases: Array<[string, Promise<{ status: number; body: any }>, string]> = [
          ['pot name', api.post('/pots', { current_account_id: account, name: heart.repeat(40) }, { token: ada.token }), 'name'],
          [
            'sign-up name',
            api.post('/users', { name: heart.repeat(100), email: `h-${key()}@example.com`, password: 'long enough password' }),
            'name',
          ],
          [
            'account description',
            api.post('/accounts', { currency: 'GBP', description: heart.repeat(140) }, { token: ada.token }),
            'description',
          ],
          [
            'top-up description',
            api.post(
              `/accounts/${account}/top-ups`,
              { amount: 100, description: heart.repeat(140) },
              { token: ada.token, idempotencyKey: key() },
            ),
            'description',
          ],
        ];
        for (const [what, reply, field] of cases) {
          const r = await reply;
          expect([what, r.status, r.body.params]).toEqual([what, 400, { [field]: expect.stringMatching(/characters/) }]);
        }
        await topUp(ada, account, 10_000);
        const token = await card(ada, account);
        const pay = (name: string, ntx: string) =>
          api.post(
            '/network/authorisations',
            { card_token: token, amount: 100, currency: 'GBP', network_transaction_id: ntx, merchant: { name, mcc: '5814' } },
            { headers: NETWORK },
          );
        expect((await pay(heart.repeat(50), `ntx-${key()}`)).body).toMatchObject({ approved: true });
        const long = await pay(heart.repeat(100), `ntx-${key()}`);
        expect([long.status, long.body.params]).toEqual([400, { 'merchant[name]': expect.stringMatching(/characters/) }]);
      });

      it('refuses NUL characters and unpaired surrogates, naming the field', async () => {
        const ada = await signUp();
        const account = await openAccount(ada);
        await topUp(ada, account, 1_000);
        const token = await card(ada, account);
        const replies: Array<[string, { status: number; body: any }]> = [
          ['pot name', await api.post('/pots', { current_account_id: account, name: 'Hol\u0000iday' }, { token: ada.token })],
          [
            'sign-up name',
            await api.post('/users', { name: 'A\u0000da', email: `n-${key()}@example.com`, password: 'long enough password' }),
          ],
          [
            'feed title',
            await api.post('/feed', { account_id: account, type: 'basic', params: { title: 'Hi\u0000' } }, { token: ada.token }),
          ],
          [
            'email',
            await api.post(
              '/users',
              { name: 'Ada', email: `a\uD800b-${key()}@example.com`, password: 'long enough password' },
              { json: true },
            ),
          ],
          [
            'username',
            await api.post(
              '/oauth2/token',
              { grant_type: 'password', client_id: CLIENT_ID, username: 'x\uDFFF@example.com', password: 'whatever' },
              { json: true },
            ),
          ],
          [
            'network id',
            await api.post(
              '/network/authorisations',
              {
                card_token: token,
                amount: 100,
                currency: 'GBP',
                network_transaction_id: 'ntx\u0000',
                merchant: { name: 'Cafe', mcc: '5814' },
              },
              { headers: NETWORK },
            ),
          ],
        ];
        for (const [what, reply] of replies) {
          expect([what, reply.status, reply.body.code]).toEqual([what, 400, expect.stringMatching(/^bad_request/)]);
          expect(Object.keys(reply.body.params ?? {}), what).toHaveLength(1);
        }
      });

      it('takes money only as plain whole numbers of minor units, form or JSON', async () => {
        const ada = await signUp();
        const account = await openAccount(ada);
        for (const amount of ['1e2', '0x10', ' 7 ', '7.0', '+7']) {
          const reply = await api.post(`/accounts/${account}/top-ups`, { amount }, { token: ada.token, idempotencyKey: key() });
          expect([amount, reply.status, Object.keys(reply.body.params ?? {})]).toEqual([amount, 400, ['amount']]);
        }
        for (const body of ['{"amount": 1e2}', '{"amount": 100.0}', '{"amount": 1E2}']) {
          const reply = await fetch(`${bank.url}/accounts/${account}/top-ups`, {
            method: 'POST',
            headers: { authorization: `Bearer ${ada.token}`, 'idempotency-key': key(), 'content-type': 'application/json' },
            body,
          });
          expect([body, reply.status, Object.keys(((await reply.json()) as { params?: object }).params ?? {})]).toEqual([
            body,
            400,
            ['amount'],
          ]);
        }
        expect(await balanceOf(ada, account)).toMatchObject({ balance: 0 });
      });

      it('answers null, wrong shapes and absurd nesting with 400, never 500', async () => {
        const ada = await signUp();
        const account = await openAccount(ada);
        const tx = await topUp(ada, account, 1_000);
        const token = await card(ada, account);
        const json = { json: true };
        // JSON nested 5,000 levels deep, sent as written (JSON.stringify itself can't write it).
        const deep = '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000);
        const raw = async (method: string, path: string, body: string, headers: Record<string, string>) => {
          const reply = await fetch(`${bank.url}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body });
          return { status: reply.status, body: (await reply.json()) as any };
        };
        const auth = { authorization: `Bearer ${ada.token}` };
        const replies: Array<[string, { status: number; body: any }]> = [
          ['null notes', await api.patch(`/transactions/${tx.id}`, { notes: null }, { token: ada.token, ...json })],
          // Not objects at all: `null` passed as no body before.
          ['null body', await raw('POST', '/accounts', 'null', auth)],
          ['list body', await raw('POST', '/accounts', '[]', auth)],
          ['string body', await raw('PATCH', `/transactions/${tx.id}`, '"notes"', auth)],
          ['number body', await raw('POST', '/accounts', '5', auth)],
          [
            'merchant []',
            await api.post(
              '/network/authorisations',
              { card_token: token, amount: 100, currency: 'GBP', network_transaction_id: `ntx-${key()}`, merchant: [] },
              { headers: NETWORK, ...json },
            ),
          ],
          [
            'refund merchant []',
            await api.post(
              '/network/refunds',
              { card_token: token, amount: 100, currency: 'GBP', network_transaction_id: `ntx-${key()}`, merchant: [] },
              { headers: NETWORK, ...json },
            ),
          ],
          [
            'deep transfer',
            await raw(
              'POST',
              '/transfers',
              `{"source_account_id":"${account}","destination_account_id":"${account}","amount":1,"description":${deep}}`,
              { ...auth, 'idempotency-key': key() },
            ),
          ],
          [
            'deep sign-up',
            await raw('POST', '/users', `{"name":${deep},"email":"deep@example.com","password":"long enough password"}`, {}),
          ],
          ['deep metadata', await raw('PATCH', `/transactions/${tx.id}`, `{"metadata":{"a":${deep}}}`, auth)],
        ];
        for (const [what, reply] of replies)
          expect([what, reply.status, reply.body.code]).toEqual([what, 400, expect.stringMatching(/^bad_request/)]);
      });

      // class-transformer de-duplicates keys pairwise: 80,000 of them held the event loop for seconds, before
      // sign-in, and the refusal named each one.
      it('refuses a body of thousands of fields or elements for its size, naming at most 20 fields', async () => {
        const wide = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`f${i}`, 1]));
        const signUpBody = { name: 'Wide', email: `wide-${key()}@example.com`, password: 'long enough password' };
        const tooWide = await api.post('/users', { ...signUpBody, ...wide }, { json: true });
        expect([tooWide.status, tooWide.body.code, tooWide.body.params]).toEqual([
          400,
          'bad_request.bad_param',
          { body: 'the body has more than 1000 fields' },
        ]);
        const long = await api.post('/users', { ...signUpBody, name: new Array(20_000).fill('a') }, { json: true });
        expect([long.status, long.body.params]).toEqual([400, { name: 'name has more than 10000 elements' }]);
        const many = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`f${i}`, 1]));
        const unknown = await api.post('/users', { ...signUpBody, ...many }, { json: true });
        expect([unknown.status, Object.keys(unknown.body.params)]).toEqual([400, expect.any(Array)]);
        expect(Object.keys(unknown.body.params)).toHaveLength(20);
        expect(unknown.body.message).toMatch(/; and 480 more$/);
      });

      it('treats a reused network id as a conflict when the payment differs, and as a retry when it is the same', async () => {
        const ada = await signUp();
        const account = await openAccount(ada);
        await topUp(ada, account, 10_000);
        const token = await card(ada, account);
        const ntx = `ntx-${key()}`;
        const payment = {
          card_token: token,
          amount: 500,
          currency: 'GBP',
          network_transaction_id: ntx,
          merchant: { name: 'Cafe', mcc: '5814' },
        };
        const first = await api.post('/network/authorisations', payment, { headers: NETWORK });
        expect(first.body).toMatchObject({ approved: true });
        expect((await api.post('/network/authorisations', payment, { headers: NETWORK })).body).toEqual(first.body);
        for (const other of [{ amount: 501 }, { merchant: { name: 'Elsewhere', mcc: '5814' } }]) {
          const reply = await api.post('/network/authorisations', { ...payment, ...other }, { headers: NETWORK });
          expect([reply.status, reply.body.code]).toEqual([409, 'conflict.network_transaction_id_reused']);
        }
        // The other idempotent entry points keep the same rule.
        const pot = (await api.post('/pots', { current_account_id: account, name: 'Keys' }, { token: ada.token })).body.id;
        expect(
          (await api.put(`/pots/${pot}/deposit`, { source_account_id: account, amount: 100, dedupe_id: 'same' }, { token: ada.token }))
            .status,
        ).toBe(200);
        const pot409 = await api.put(
          `/pots/${pot}/deposit`,
          { source_account_id: account, amount: 200, dedupe_id: 'same' },
          { token: ada.token },
        );
        expect([pot409.status, pot409.body.code]).toEqual([409, 'conflict.idempotency_key_reused']);
        const present = { presentment_id: `pres-${key()}`, network_transaction_id: ntx, amount: 500, currency: 'GBP' };
        expect((await api.post('/network/presentments', present, { headers: NETWORK })).status).toBe(200);
        const present409 = await api.post('/network/presentments', { ...present, amount: 400 }, { headers: NETWORK });
        expect([present409.status, present409.body.code]).toEqual([409, 'conflict.idempotency_key_reused']);
        expect(await balanceOf(ada, account)).toMatchObject({ balance: 10_000 - 100 - 500 });
      });

      it("answers what Fastify itself refuses in Monzo's shape too", async () => {
        const ada = await signUp();
        const text = await fetch(`${bank.url}/accounts`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ada.token}`, 'content-type': 'text/plain' },
          body: 'currency=GBP',
        });
        expect([text.status, await text.json()]).toEqual([
          400,
          { code: 'bad_request.unsupported_media_type', message: expect.any(String), params: { 'content-type': expect.any(String) } },
        ]);
        // A compressed body was read as plain text and refused as malformed JSON, naming nothing.
        const gzipped = await fetch(`${bank.url}/accounts`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ada.token}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
          body: gzipSync('{"currency":"GBP"}'),
        });
        expect([gzipped.status, await gzipped.json()]).toEqual([
          400,
          { code: 'bad_request.unsupported_media_type', message: expect.any(String), params: { 'content-encoding': expect.any(String) } },
        ]);
      });
    });

    it('answers unknown routes and malformed bodies in the same error shape', async () => {
      const ada = await signUp();
      const route = await api.get('/nowhere', { token: ada.token });
      expect([route.status, route.body.code]).toEqual([404, 'not_found.unknown_route']);
      const broken = await fetch(`${bank.url}/accounts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ada.token}`, 'content-type': 'application/json' },
        body: '{"currency":',
      });
      expect([broken.status, await broken.json()]).toEqual([
        400,
        { code: 'bad_request.bad_body', message: expect.any(String), params: { body: expect.stringMatching(/JSON/) } },
      ]);
    });

    it('publishes its OpenAPI document at /docs, from the DTOs that validate requests', async () => {
      expect((await fetch(`${bank.url}/docs`)).status).toBe(200);
      const doc = (await (await fetch(`${bank.url}/docs/openapi.json`)).json()) as {
        paths: Record<string, unknown>;
        components: { schemas: Record<string, { properties: Record<string, unknown> }> };
      };
      for (const path of [
        '/users',
        '/oauth2/token',
        '/accounts',
        '/balance',
        '/transfers',
        '/pots',
        '/pots/{id}/deposit',
        '/transactions/{id}',
      ])
        expect(doc.paths).toHaveProperty([path]);
      expect(Object.keys(doc.components.schemas.TransferBody!.properties).sort()).toEqual([
        'amount',
        'currency',
        'description',
        'destination_account_id',
        'source_account_id',
      ]);
    });

    it('never writes tokens or passwords to its logs', async () => {
      const ada = await signUp();
      await api.get('/accounts', { token: ada.token });
      // The request was logged (the line is written as it is answered), and no header with it: its access
      // line names it without its credentials.
      await expect
        .poll(
          () =>
            bank
              .output()
              .split('\n')
              .filter((line) => line.includes('"url":"/accounts"') && line.includes('request completed')),
          { timeout: 10_000 },
        )
        .not.toHaveLength(0);
      const logs = bank.output();
      const access = logs.split('\n').filter((line) => line.includes('"url":"/accounts"'));
      expect(access.join('\n')).not.toMatch(/authorization|bearer/i);
      expect(logs).not.toContain(ada.password);
      expect(logs).not.toContain(ada.token);
      expect(logs).not.toContain(ada.refreshToken);
    });
  });
}
