import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, startBank, type RunningBank } from '../support/cleave-http';
import { eventually, NETWORK_SECRET, openAccount, signUp, topUp } from '../http/customers';
import { startFakeDns, type FakeDns } from '../support/fake-dns';

const BRIGHTBIRD = { name: 'Brightbird Espresso', mcc: '5814' };

describe('a webhook receiver that never answers', () => {
  let bank: RunningBank;
  let api: Api;
  let receiver: Server;
  let hits = 0;

  beforeAll(async () => {
    // Takes each request and never answers it.
    receiver = createServer(() => void hits++);
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    bank = await startBank('monolith', 'sqlite', {
      CLEAVE_WEBHOOKS_ALLOW_PRIVATE: 'true',
      CLEAVE_WEBHOOK_TIMEOUT_MS: '1000',
      CLEAVE_WEBHOOK_MAX_ATTEMPTS: '2',
      CLEAVE_WEBHOOK_BACKOFF_MS: '50',
      CLEAVE_WEBHOOK_DISABLE_AFTER: '4',
      // Disabled on the count alone here; the next suite keeps the time the failures must also have lasted.
      CLEAVE_WEBHOOK_DISABLE_AFTER_MS: '0',
    });
    api = new Api(bank.url);
  });
  afterAll(async () => {
    await bank?.stop();
    receiver.closeAllConnections();
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('never holds up an authorisation, times each try out, gives up, and disables the webhook after a run of failures', async () => {
    const customer = await signUp(api);
    const token = customer.token;
    const account = await openAccount(api, customer);
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const hook = (await api.post('/webhooks', { account_id: account, url }, { token })).body.webhook;
    await topUp(api, customer, account, 10_000);
    const card = (await api.post('/cards', { account_id: account }, { token })).body;

    // Decided within the normal 2 s budget while every delivery hangs for its full timeout.
    for (let i = 1; i <= 2; i++) {
      const decision = await api.post(
        '/network/authorisations',
        { card_token: card.token, amount: 100, currency: 'GBP', merchant: BRIGHTBIRD, network_transaction_id: `hang-${Date.now()}-${i}` },
        { token: NETWORK_SECRET, json: true },
      );
      expect(decision.body).toMatchObject({ approved: true });
    }

    const disabled = await eventually(
      async () => (await api.get(`/webhooks?account_id=${account}`, { token })).body.webhooks[0],
      (w) => w.status === 'disabled',
      20_000,
    );
    expect(disabled.disabled_reason).toMatch(/^disabled after 4 failed deliveries in a row; last: no answer within 1000 ms/);
    // The top-up and both payments: each failed, by timeouts, or cut short once the webhook was disabled.
    const deliveries = await eventually(
      async () => (await api.get(`/webhooks/${hook.id}/deliveries`, { token })).body.deliveries as Array<Record<string, any>>,
      (list) => list.length === 3 && list.every((d) => d.status === 'failed'),
      20_000,
    );
    const tries = deliveries.flatMap((d) => d.attempts as Array<Record<string, any>>);
    expect(tries.every((a) => a.status_code === null && ['no answer within 1000 ms', 'the webhook is disabled'].includes(a.error))).toBe(
      true,
    );
    expect(tries.filter((a) => a.error === 'no answer within 1000 ms').length).toBeGreaterThanOrEqual(4);
    expect(hits).toBe(tries.filter((a) => a.error === 'no answer within 1000 ms').length);

    // A disabled webhook gets nothing more.
    await api.post(
      '/network/authorisations',
      { card_token: card.token, amount: 100, currency: 'GBP', merchant: BRIGHTBIRD, network_transaction_id: `hang-${Date.now()}-3` },
      { token: NETWORK_SECRET, json: true },
    );
    await eventually(
      async () => (await api.get(`/notifications?account_id=${account}`, { token })).body.notifications.length,
      (n) => n === 3,
    );
    expect((await api.get(`/webhooks/${hook.id}/deliveries`, { token })).body.deliveries).toHaveLength(3);
  });
});

// A 25 s receiver outage disabled every webhook of a busy bank for good: 50 failed tries in a row took
// seconds. A run of failures must also have lasted (a day, by default) before a webhook is disabled.
describe('a webhook whose receiver fails for a moment', () => {
  let bank: RunningBank;
  let api: Api;
  let receiver: Server;

  beforeAll(async () => {
    receiver = createServer((_, response) => response.writeHead(503).end());
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    bank = await startBank('monolith', 'sqlite', {
      CLEAVE_WEBHOOKS_ALLOW_PRIVATE: 'true',
      CLEAVE_WEBHOOK_MAX_ATTEMPTS: '2',
      CLEAVE_WEBHOOK_BACKOFF_MS: '50',
      CLEAVE_WEBHOOK_DISABLE_AFTER: '2',
      CLEAVE_WEBHOOK_DISABLE_AFTER_MS: '3600000',
    });
    api = new Api(bank.url);
  });
  afterAll(async () => {
    await bank?.stop();
    receiver.closeAllConnections();
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('stays active through more failures in a row than the count, until they have gone on long enough', async () => {
    const customer = await signUp(api);
    const token = customer.token;
    const account = await openAccount(api, customer);
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const hook = (await api.post('/webhooks', { account_id: account, url }, { token })).body.webhook;
    for (const amount of [1_000, 2_000, 3_000]) await topUp(api, customer, account, amount);
    const deliveries = await eventually(
      async () => (await api.get(`/webhooks/${hook.id}/deliveries`, { token })).body.deliveries as Array<Record<string, any>>,
      (list) => list.length === 3 && list.every((d) => d.status === 'failed'),
      20_000,
    );
    expect(deliveries.flatMap((d) => d.attempts).every((a: Record<string, any>) => a.status_code === 503)).toBe(true);
    expect((await api.get(`/webhooks?account_id=${account}`, { token })).body.webhooks[0]).toMatchObject({ status: 'active' });
  });
});

// One customer's 74 hanging webhooks held every delivery slot for their whole timeout: another customer's
// webhook came 40 s late.
describe("one account's hanging receivers", () => {
  let bank: RunningBank;
  let api: Api;
  let hanging: Server;
  let answering: Server;
  let gone: Server;
  let goneHits = 0;
  const heard: string[] = [];

  beforeAll(async () => {
    hanging = createServer(() => undefined);
    gone = createServer((_req, res) => {
      goneHits++;
      res.writeHead(410).end();
    });
    answering = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        heard.push(body);
        res.end();
      });
    });
    for (const server of [hanging, answering, gone]) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    bank = await startBank('monolith', 'sqlite', {
      CLEAVE_WEBHOOKS_ALLOW_PRIVATE: 'true',
      CLEAVE_WEBHOOK_TIMEOUT_MS: '30000',
      // Room for two customers at their share, and one more: Carol's hanging tries outlive her test.
      CLEAVE_WEBHOOK_CONCURRENCY: '6',
      CLEAVE_WEBHOOK_CONCURRENCY_PER_ACCOUNT: '2',
      CLEAVE_WEBHOOK_CONCURRENCY_PER_CUSTOMER: '2',
    });
    api = new Api(bank.url);
  });
  afterAll(async () => {
    await bank?.stop();
    for (const server of [hanging, answering, gone]) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  const urlOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  /** Someone else's webhook, to a receiver that answers, is delivered while the hanging ones hang. */
  const anotherCustomersWebhookIsDelivered = async () => {
    const bob = await signUp(api);
    const bobsAccount = await openAccount(api, bob);
    await api.post('/webhooks', { account_id: bobsAccount, url: urlOf(answering) }, { token: bob.token });
    await topUp(api, bob, bobsAccount, 2_000);
    await eventually(
      async () => heard.filter((body) => body.includes(bobsAccount)).length,
      (n) => n === 1,
      15_000,
    );
  };

  it("hold only their account's share of the delivery slots: another account's webhook is delivered meanwhile", async () => {
    const carol = await signUp(api);
    const carolsAccount = await openAccount(api, carol);
    for (let i = 0; i < 6; i++) await api.post('/webhooks', { account_id: carolsAccount, url: urlOf(hanging) }, { token: carol.token });
    // Six deliveries that each hang for 30 s.
    await topUp(api, carol, carolsAccount, 1_000);
    await anotherCustomersWebhookIsDelivered();
  });

  // A receiver answering 410 Gone was tried eight times, and again for every later event.
  it('disables a webhook whose receiver answers 410 Gone, after that one try', async () => {
    const frank = await signUp(api);
    const account = await openAccount(api, frank);
    const hook = (await api.post('/webhooks', { account_id: account, url: urlOf(gone) }, { token: frank.token })).body.webhook;
    await topUp(api, frank, account, 1_000);
    const disabled = await eventually(
      async () => (await api.get(`/webhooks?account_id=${account}`, { token: frank.token })).body.webhooks[0],
      (w) => w.status === 'disabled',
    );
    expect(disabled.disabled_reason).toBe('disabled: the receiver answered 410 Gone');
    const [delivery] = (await api.get(`/webhooks/${hook.id}/deliveries`, { token: frank.token })).body.deliveries;
    expect([delivery.status, delivery.attempts.map((a: { status_code: number }) => a.status_code)]).toEqual(['failed', [410]]);
    await topUp(api, frank, account, 1_000);
    expect(goneHits).toBe(1);
  });

  // An attack drill opened four accounts with twenty hanging webhooks each: its 80 deliveries held all 16
  // slots, four accounts' worth, and another customer's webhooks came four minutes late.
  it("hold only their customer's share across the customer's accounts: another customer's webhook is delivered meanwhile", async () => {
    const mallory = await signUp(api);
    const accounts = [await openAccount(api, mallory), await openAccount(api, mallory), await openAccount(api, mallory)];
    for (const account of accounts)
      for (let i = 0; i < 2; i++) await api.post('/webhooks', { account_id: account, url: urlOf(hanging) }, { token: mallory.token });
    for (const account of accounts) await topUp(api, mallory, account, 1_000);
    await anotherCustomersWebhookIsDelivered();
  });
});

describe('webhooks to hosts whose nameserver stops answering', () => {
  let bank: RunningBank;
  let api: Api;
  let dns: FakeDns;
  let answering: Server;
  const heard: string[] = [];

  beforeAll(async () => {
    // Names under once.test are answered for their registration (an A and an AAAA query), then never again.
    dns = await startFakeDns((name, count) =>
      name === 'receiver.test' ? '127.0.0.1' : name.endsWith('.once.test') ? (count <= 2 ? '127.0.0.1' : 'ignore') : undefined,
    );
    answering = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        heard.push(body);
        res.end();
      });
    });
    await new Promise<void>((resolve) => answering.listen(0, '127.0.0.1', resolve));
    bank = await startBank('monolith', 'sqlite', {
      CLEAVE_WEBHOOKS_ALLOW_PRIVATE: 'true',
      CLEAVE_WEBHOOK_DNS_SERVERS: dns.server,
      CLEAVE_WEBHOOK_TIMEOUT_MS: '30000',
    });
    api = new Api(bank.url);
  });
  afterAll(async () => {
    await bank?.stop();
    answering.closeAllConnections();
    await new Promise((resolve) => answering.close(resolve));
    await dns.close();
  });

  // An attack drill's twenty such webhooks held getaddrinfo's few threads, ~10 s a try, and every other
  // webhook to a name failed while they lasted.
  it("deliver another customer's webhook to a name meanwhile", async () => {
    const mallory = await signUp(api);
    const account = await openAccount(api, mallory);
    const port = (answering.address() as AddressInfo).port;
    for (let i = 0; i < 20; i++) {
      const hook = await api.post(
        '/webhooks',
        { account_id: account, url: `http://h${i}.once.test:${port}/hook` },
        { token: mallory.token },
      );
      expect(hook.status).toBe(200);
    }
    await topUp(api, mallory, account, 1_000);
    // Deliveries have begun, and their lookups hang (four at once fill getaddrinfo's threads).
    await eventually(
      async () => [...dns.heard].filter(([name, queries]) => name.endsWith('.once.test') && queries > 2).length,
      (hanging) => hanging >= 4,
    );
    const erin = await signUp(api);
    const erinsAccount = await openAccount(api, erin);
    expect(
      (await api.post('/webhooks', { account_id: erinsAccount, url: `http://receiver.test:${port}/hook` }, { token: erin.token })).status,
    ).toBe(200);
    await topUp(api, erin, erinsAccount, 2_000);
    await eventually(
      async () => heard.filter((body) => body.includes(erinsAccount)).length,
      (n) => n === 1,
      15_000,
    );
    expect(heard.filter((body) => body.includes(account))).toEqual([]);
  });
});
