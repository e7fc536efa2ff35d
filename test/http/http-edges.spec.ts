import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, startBank, type RunningBank } from '../support/cleave-http';
import { fundedCard, NETWORK_SECRET, signUp } from './customers';

/** Writes raw bytes to the HTTP port and collects whatever comes back until the server closes. */
function rawExchange(url: string, write: (socket: Socket) => void): Promise<{ text: string; closedAfterMs: number }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(Number(port), hostname);
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('close', () => resolve({ text, closedAfterMs: Date.now() - started }));
    socket.on('error', reject);
    socket.on('connect', () => write(socket));
  });
}

const bodyOf = (response: string) => JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as { code: string; message: string };

/** What the HTTP server does with requests that go wrong below the routes: one shape, no pinned connections. */
describe('the HTTP server at its edges', () => {
  let bank: RunningBank;
  beforeAll(async () => {
    bank = await startBank('monolith', 'sqlite');
  }, 60_000);
  afterAll(async () => {
    await bank?.stop();
  });

  it("builds every caller's call context one way: the card network's and operators' headers count as a customer's do", async () => {
    const api = new Api(bank.url);
    const { cardToken } = await fundedCard(api, 10_000);
    const network = { authorization: `Bearer ${NETWORK_SECRET}` };
    const authorise = (id: string, headers: Record<string, string>) =>
      api.post(
        '/network/authorisations',
        { card_token: cardToken, amount: 100, currency: 'GBP', network_transaction_id: id, merchant: { name: 'Edge Cafe', mcc: '5814' } },
        { headers: { ...network, ...headers } },
      );
    const named = await authorise(`edge-${Date.now()}-1`, { 'x-request-id': 'network-req-1' });
    expect(named.body.approved).toBe(true);
    expect(named.headers.get('x-request-id')).toBe('network-req-1');
    // A budget shorter than the decision needs (the margin kept to answer in) is honoured, not ignored.
    const hurried = await authorise(`edge-${Date.now()}-2`, { 'request-timeout-ms': '50' });
    expect(hurried.body).toMatchObject({ approved: false, decline_reason: 'issuer_unavailable' });
    // Operators' headers are checked like anyone's.
    const admin = await api.get('/admin/dead-letters', {
      headers: { authorization: 'Bearer cleave-development-admin-secret', 'x-request-id': 'has spaces' },
    });
    expect(admin.status).toBe(400);
    expect(admin.body.code).toBe('bad_request.bad_header');
  });

  // The 400 for the garbage came first, and a client read it as its top-up's answer, though the money moved.
  it('answers a request first when garbage follows it on the connection, then closes', async () => {
    const api = new Api(bank.url);
    const customer = await signUp(api);
    const account = (await api.post('/accounts', { currency: 'GBP' }, { token: customer.token })).body.id as string;
    const body = 'amount=500';
    const { text } = await rawExchange(bank.url, (s) =>
      s.write(
        `POST /accounts/${account}/top-ups HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${customer.token}\r\n` +
          `Idempotency-Key: pipelined-${Date.now()}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}` +
          'GARBAGE\r\n\r\n',
      ),
    );
    expect(text).toMatch(/^HTTP\/1\.1 201 /);
    expect(text).not.toContain('bad_request_line');
    expect((await api.get(`/balance?account_id=${account}`, { token: customer.token })).body.balance).toBe(500);
  });

  it("answers a request Node's parser refuses (a lowercase method) in Monzo's shape", async () => {
    const { text } = await rawExchange(bank.url, (s) => s.write('patch /transactions/tx_1 HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(bodyOf(text)).toEqual({ code: 'bad_request.bad_request_line', message: expect.any(String) });
  });

  // Fastify's router answered these itself, in its own shape ({statusCode, code: FST_ERR_…}), before any filter.
  it("answers a path the router can't read (a broken escape, an overlong segment) in Monzo's shape", async () => {
    const api = new Api(bank.url);
    const customer = await signUp(api);
    for (const path of ['/transactions/%E0%A4%A', `/transactions/${'a'.repeat(200)}`]) {
      const reply = await api.get(path, { token: customer.token });
      expect([path, reply.status, reply.body]).toEqual([
        path,
        400,
        { code: 'bad_request.bad_url', message: expect.any(String), params: { path: expect.any(String) } },
      ]);
      // Named like every other answer, though no route or hook saw it.
      expect(reply.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
    }
  });

  // An attack drill: `gzip, chunked` passed Node by and the body was read as plain JSON (an account opened).
  it('refuses a transfer coding other than chunked, naming it', async () => {
    const api = new Api(bank.url);
    const customer = await signUp(api);
    for (const coding of ['gzip, chunked', 'deflate, chunked']) {
      const { text } = await rawExchange(bank.url, (s) =>
        s.write(
          `POST /accounts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${customer.token}\r\nContent-Type: application/json\r\n` +
            `Transfer-Encoding: ${coding}\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
        ),
      );
      expect([coding, text.slice(0, 12), bodyOf(text)]).toEqual([
        coding,
        'HTTP/1.1 400',
        { code: 'bad_request.unsupported_media_type', message: expect.any(String), params: { 'transfer-encoding': expect.any(String) } },
      ]);
    }
    expect((await api.get('/accounts', { token: customer.token })).body.accounts).toEqual([]);
  });

  // JSON.parse keeps the last of a repeated key, where a proxy or a client library may read the first: the
  // same request as a form, or with a header repeated, was refused already.
  it('refuses a JSON body that gives a key twice, at any depth and however the key is escaped', async () => {
    const api = new Api(bank.url);
    const customer = await signUp(api);
    const post = async (body: string) => {
      const reply = await fetch(`${bank.url}/accounts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${customer.token}`, 'content-type': 'application/json' },
        body,
      });
      return [reply.status, await reply.json()];
    };
    expect(await post('{"currency":"GBP","currency":"USD"}')).toEqual([
      400,
      { code: 'bad_request.bad_param', message: expect.any(String), params: { currency: 'currency must be given once' } },
    ]);
    expect(await post('{"currency":"GBP", "\\u0063urrency" :"USD"}')).toMatchObject([400, { params: { currency: expect.any(String) } }]);
    expect(await post('{"currency":"GBP","x":{"y":1,"y":2}}')).toMatchObject([400, { params: { y: expect.any(String) } }]);
    // Keys may repeat across objects, and a key's name may appear as a value.
    const opened = await post('{"currency":"USD","metadata":{"currency":"currency"}}');
    expect(opened[0]).toBe(400);
    expect((opened[1] as { params: Record<string, string> }).params).not.toHaveProperty('currency');
    expect(await post('{"currency":"USD"}')).toMatchObject([201, { currency: 'USD' }]);
  });

  it('repeats no more than a little of what a client sent back in its error', async () => {
    const api = new Api(bank.url);
    const customer = await signUp(api);
    for (const [type, body] of [
      ['application/x-www-form-urlencoded', `${'k'.repeat(900_000)}=1`],
      ['application/json', JSON.stringify({ ['k'.repeat(900_000)]: 1 })],
    ]) {
      const reply = await fetch(`${bank.url}/accounts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${customer.token}`, 'content-type': type! },
        body,
      });
      const text = await reply.text();
      expect([type, reply.status, text.length < 4_000]).toEqual([type, 400, true]);
      expect(JSON.parse(text).code).toBe('bad_request.bad_param');
    }
  });

  // An attack drill sent `Refund \u202e00.0001£ \u2066Official` with a transfer of £0.01: the payee's
  // statement read "Refund £1000.00 Official".
  it('refuses text shown to people that carries controls changing its reading direction, and takes right-to-left text', async () => {
    const api = new Api(bank.url);
    const customer = await signUp(api);
    for (const [description, status] of [
      ['Refund \u202e00.0001£', 400],
      ['Refund \u2066Official\u2069', 400],
      ['إيجار الشقة', 201],
    ] as const) {
      const reply = await api.post('/accounts', { currency: 'GBP', description }, { token: customer.token });
      expect([description, reply.status, Object.keys(reply.body.params ?? {})]).toEqual([
        description,
        status,
        status === 400 ? ['description'] : [],
      ]);
    }
    const named = await api.post('/users', {
      name: 'Ada \u202eecalevoL',
      email: `rtl-${Date.now()}@example.com`,
      password: 'correct horse battery',
    });
    expect([named.status, Object.keys(named.body.params ?? {})]).toEqual([400, ['name']]);
  });

  // Node's decoder made U+FFFD of bytes that weren't UTF-8, and an account was opened described as "a\ufffd\ufffdb";
  // a body declared UTF-16 was read as UTF-8 all the same.
  it("reads a body only as UTF-8: bytes that aren't, or another declared charset, are refused", async () => {
    const api = new Api(bank.url);
    const customer = await signUp(api);
    const post = async (type: string, body: Buffer | string) => {
      const reply = await fetch(`${bank.url}/accounts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${customer.token}`, 'content-type': type },
        body,
      });
      const answer = (await reply.json()) as { code?: string; params?: Record<string, string>; description?: string };
      return [reply.status, answer.code ?? answer.description, Object.keys(answer.params ?? {})];
    };
    const json = 'application/json';
    const form = 'application/x-www-form-urlencoded';
    expect(await post(json, Buffer.from('{"currency":"GBP","description":"caf\xe9"}', 'latin1'))).toEqual([
      400,
      'bad_request.bad_body',
      ['body'],
    ]);
    expect(await post(form, Buffer.from('currency=GBP&description=caf\xe9', 'latin1'))).toEqual([400, 'bad_request.bad_body', ['body']]);
    expect(await post(`${json}; charset=utf-16`, '{"currency":"GBP"}')).toEqual([
      400,
      'bad_request.unsupported_media_type',
      ['content-type'],
    ]);
    expect(await post(`${form}; charset=iso-8859-1`, 'currency=GBP')).toEqual([
      400,
      'bad_request.unsupported_media_type',
      ['content-type'],
    ]);
    expect(await post(`${json}; charset="UTF-8"`, '{"currency":"GBP","description":"café ☕"}')).toEqual([201, 'café ☕', []]);
    expect(await post(form, 'currency=GBP&description=caf%C3%A9+%E2%98%95')).toEqual([201, 'café ☕', []]);
    expect((await api.get('/accounts', { token: customer.token })).body.accounts).toHaveLength(2);
  });

  // qs kept `%ff` and `%zz` as they came (an account was described as "%ff"), and dropped `__proto__[x]` and
  // `toString` from a query without a word; JSON's `__proto__` was refused as "not valid JSON", naming nothing.
  it('refuses, naming them, the keys and escapes a form, a query or JSON would lose on the way in', async () => {
    const api = new Api(bank.url);
    const customer = await signUp(api);
    const form = async (body: string) => {
      const reply = await fetch(`${bank.url}/accounts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${customer.token}`, 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
      const answer = (await reply.json()) as { params?: Record<string, string> };
      return [reply.status, answer.params];
    };
    expect(await form('currency=GBP&description=%ff')).toEqual([400, { description: 'description is not percent-encoded UTF-8' }]);
    expect(await form('currency=GB%zzP')).toEqual([400, { currency: 'currency is not percent-encoded UTF-8' }]);
    expect(await form('currency=GBP&%E2%98=x')).toMatchObject([400, { '%E2%98': expect.any(String) }]);
    expect(await form('currency=GBP&__proto__[x]=1')).toEqual([400, { '__proto__[x]': 'property __proto__[x] should not exist' }]);
    // Split where qs splits it: at `]=` first.
    expect(await form('currency=GBP&x=[__proto__]=1')).toMatchObject([400, { 'x=[__proto__]': expect.any(String) }]);
    // The router reads a query after `#` too, where it would pass unchecked.
    const { text } = await rawExchange(bank.url, (socket) =>
      socket.write(
        `GET /accounts#__proto__[x]=1&account_type=%ff HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${customer.token}\r\nConnection: close\r\n\r\n`,
      ),
    );
    expect([text.slice(0, 12), bodyOf(text).code]).toEqual(['HTTP/1.1 400', 'bad_request.bad_url']);
    for (const query of ['__proto__[x]=1', 'toString=1', 'constructor[prototype][x]=1', 'account_type=%E2%98']) {
      const reply = await fetch(`${bank.url}/accounts?${query}`, { headers: { authorization: `Bearer ${customer.token}` } });
      const field = decodeURIComponent(query.split('=')[0]!);
      expect([query, reply.status, Object.keys(((await reply.json()) as { params?: object }).params ?? {})]).toEqual([query, 400, [field]]);
    }
    for (const [body, field] of [
      ['{"currency":"GBP","__proto__":{"x":1}}', '__proto__'],
      ['{"currency":"GBP","metadata":{"constructor":{"prototype":{"x":1}}}}', 'constructor'],
    ] as const) {
      const raw = await fetch(`${bank.url}/accounts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${customer.token}`, 'content-type': 'application/json' },
        body,
      });
      expect([raw.status, await raw.json()]).toEqual([
        400,
        {
          code: 'bad_request.bad_param',
          message: `property ${field} should not exist`,
          params: { [field]: `property ${field} should not exist` },
        },
      ]);
    }
    expect((await api.get('/accounts?account_type=uk_retail', { token: customer.token })).status).toBe(200);
  });

  // A money drill's top-up of `0100` was taken as 100 (0100 is 64 to whoever reads it as octal), and a key
  // with a space in it was refused without saying which header was wrong.
  it('refuses an amount with leading zeros, and names the header it refuses', async () => {
    const api = new Api(bank.url);
    const customer = await signUp(api);
    const account = (await api.post('/accounts', { currency: 'GBP' }, { token: customer.token })).body.id as string;
    const topUp = (amount: string, idempotencyKey: string) =>
      api.post(`/accounts/${account}/top-ups`, { amount }, { token: customer.token, idempotencyKey });
    const zeros = await topUp('0100', `zeros-${Date.now()}`);
    expect([zeros.status, Object.keys(zeros.body.params ?? {})]).toEqual([400, ['amount']]);
    const spaced = await topUp('100', 'a key with spaces');
    expect([spaced.status, spaced.body.code, Object.keys(spaced.body.params ?? {})]).toEqual([
      400,
      'bad_request.bad_header',
      ['idempotency-key'],
    ]);
    expect((await topUp('100', `plain-${Date.now()}`)).status).toBe(201);
  });

  // validator.js takes every ISO 4217 code, and an account opened in XXX ("no currency") and XAU (gold).
  it('opens accounts in money, not in precious metals, funds or the testing and no-currency codes', async () => {
    const api = new Api(bank.url);
    const customer = await signUp(api);
    for (const [currency, status] of [
      ['XXX', 400],
      ['xau', 400],
      ['XTS', 400],
      ['CHE', 400],
      ['XOF', 201],
      ['JPY', 201],
    ] as const) {
      const reply = await api.post('/accounts', { currency }, { token: customer.token });
      expect([currency, reply.status, Object.keys(reply.body.params ?? {})]).toEqual([
        currency,
        status,
        status === 400 ? ['currency'] : [],
      ]);
    }
  });

  // qs read the first 200 form parameters (1,000 in a query) and dropped the rest without a word: a top-up's
  // currency after 200 empty ones was never checked, and a card's limit was answered 200 and never set.
  it('refuses a form or a query with more parameters than it reads, rather than dropping the rest', async () => {
    const api = new Api(bank.url);
    const customer = await signUp(api);
    const form = await fetch(`${bank.url}/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${customer.token}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: `${'&'.repeat(200)}currency=USD`,
    });
    expect([form.status, await form.json()]).toMatchObject([400, { code: 'bad_request.bad_param', params: { body: expect.any(String) } }]);
    const query = await api.get(`/accounts?${'&'.repeat(1_000)}account_type=uk_retail`, { token: customer.token });
    expect([query.status, query.body.code, Object.keys(query.body.params ?? {})]).toEqual([400, 'bad_request.bad_param', ['query']]);
    // Up to the limit, read whole.
    const opened = await fetch(`${bank.url}/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${customer.token}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: `${'&'.repeat(199)}currency=USD`,
    });
    expect([opened.status, ((await opened.json()) as { currency: string }).currency]).toEqual([201, 'USD']);
  });

  it('closes a connection whose body never arrives, with a 408 in the same shape', async () => {
    const customer = await signUp(new Api(bank.url));
    const { text, closedAfterMs } = await rawExchange(bank.url, (s) =>
      s.write(
        `POST /accounts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${customer.token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"curr`,
      ),
    );
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    expect(bodyOf(text).code).toBe('bad_request.request_timeout');
    // Bounded by the server's receive timeout (15 s), not by the client's patience.
    expect(closedAfterMs).toBeLessThan(30_000);
  }, 40_000);

  it('finishes a request in flight when it drains, and turns the next one away in the same shape', async () => {
    // Listing accounts takes a while here, so one is in flight when the stop comes.
    const slow = await bank.restart(bank.hosting('all')[0]!, { CLEAVE_FAULTS: 'accounts.list-accounts=delay:1500' });
    const customer = await signUp(new Api(bank.url));
    const request = `GET /accounts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${customer.token}\r\n\r\n`;
    const { text } = await rawExchange(bank.url, (s) => {
      s.write(request);
      setTimeout(() => {
        void slow.stop();
        // Pipelined behind the first: it reaches the server only once the first is answered, while it drains.
        setTimeout(() => s.write(request), 200);
      }, 300);
    });
    const responses = text.split(/(?=HTTP\/1\.1 )/);
    expect(responses[0]).toMatch(/^HTTP\/1\.1 200 /);
    expect(responses[1]).toMatch(/^HTTP\/1\.1 503 /);
    expect(bodyOf(responses[1]!).code).toBe('service_unavailable.shutting_down');
    expect(await slow.waitForExit()).toBe(0);
  });
});
