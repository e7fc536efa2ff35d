import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, startBank, type RunningBank } from '../support/cleave-http';
import { EventStream } from '../support/event-stream';
import { CLIENT_ID, eventually, fundedCard, NETWORK_SECRET } from './customers';

describe('token revocation across gateway replicas', () => {
  let bank: RunningBank;
  let gateways: Api[];

  beforeAll(async () => {
    // A minute-long token cache: only identity's revocation event can make the other replica forget in time.
    bank = await startBank('split', 'sqlite', { CLEAVE_TOKEN_CACHE_MS: '60000' }, { gateway: 2 });
    gateways = bank.processes.filter((p) => p.readyMessage?.httpUrl).map((p) => new Api(p.readyMessage!.httpUrl!));
  });
  afterAll(async () => {
    await bank?.stop();
  });

  it('a logout through one gateway stops the token at every other at once', async () => {
    expect(gateways).toHaveLength(2);
    const [one, two] = gateways as [Api, Api];
    const email = `revoke-${Date.now()}@example.com`;
    await one.post('/users', { name: 'Rev', email, password: 'a long password' });
    const token = (
      await one.post('/oauth2/token', {
        grant_type: 'password',
        client_id: 'oauth2client_00009cleaveQuickStart0',
        username: email,
        password: 'a long password',
      })
    ).body.access_token;
    expect((await one.get('/ping/whoami', { token })).status).toBe(200);
    expect((await two.get('/ping/whoami', { token })).status).toBe(200);
    expect((await one.post('/oauth2/logout', undefined, { token })).status).toBe(200);
    const deadline = Date.now() + 5_000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) {
      status = (await two.get('/ping/whoami', { token })).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(401);
  });

  // A stream was checked once, when it opened: a stolen token, logged out, kept hearing the victim's spending.
  it('ends the notification streams a revoked token holds open, at every replica, and no others', async () => {
    const [one, two] = gateways as [Api, Api];
    const { customer, account, cardToken } = await fundedCard(one, 10_000);
    const login = async () =>
      (
        await one.post('/oauth2/token', {
          grant_type: 'password',
          client_id: CLIENT_ID,
          username: customer.email,
          password: customer.password,
        })
      ).body.access_token as string;
    const [stolen, own] = [await login(), await login()];
    const streamAt = (api: Api, token: string) => EventStream.open(`${api.base}/notifications/stream?account_id=${account}`, token);
    const [stolenStream, ownStream] = [await streamAt(two, stolen), await streamAt(two, own)];
    try {
      expect((await one.post('/oauth2/logout', undefined, { token: stolen })).status).toBe(200);
      await stolenStream.ended;
      expect(stolenStream.events.map((e) => [e.event, JSON.parse(e.data)])).toEqual([['end', { reason: 'token_revoked' }]]);
      // The customer's other stream still hears their spending.
      const paid = await one.post(
        '/network/authorisations',
        {
          card_token: cardToken,
          amount: 111,
          currency: 'GBP',
          network_transaction_id: `ntx-${Date.now()}`,
          merchant: { name: 'Kept', mcc: '5814' },
        },
        { token: NETWORK_SECRET, json: true },
      );
      expect(paid.body.approved).toBe(true);
      await eventually(
        async () => ownStream.events,
        (events) => events.some((e) => e.event === 'notification' && e.data.includes('Kept')),
      );
    } finally {
      stolenStream.close();
      ownStream.close();
    }
  });
});

describe('a notification stream whose token expires', () => {
  let bank: RunningBank;
  let api: Api;

  beforeAll(async () => {
    // The shortest lifetime identity allows.
    bank = await startBank('monolith', 'sqlite', { CLEAVE_ACCESS_TOKEN_TTL_SECONDS: '60' });
    api = new Api(bank.url);
  });
  afterAll(async () => {
    await bank?.stop();
  });

  it('ends when its token expires, saying so', async () => {
    const { customer, account } = await fundedCard(api, 1_000);
    const stream = await EventStream.open(`${api.base}/notifications/stream?account_id=${account}`, customer.token);
    try {
      await stream.ended;
      expect(stream.events.map((e) => [e.event, JSON.parse(e.data)])).toEqual([['end', { reason: 'token_expired' }]]);
      expect((await api.get('/ping/whoami', { token: customer.token })).status).toBe(401);
    } finally {
      stream.close();
    }
  }, 90_000);
});

describe('a notification stream whose client leaves while it is being opened', () => {
  let bank: RunningBank;
  let api: Api;

  beforeAll(async () => {
    // The ownership check takes a while, so the client can leave before the stream is listening.
    bank = await startBank('monolith', 'sqlite', { CLEAVE_FAULTS: 'accounts.get-account=delay:600' });
    api = new Api(bank.url);
  });
  afterAll(async () => {
    await bank?.stop();
  });

  // Such a stream was held, written to and checked until its token expired: thousands grew the gateway by 180 MB.
  it('is let go', async () => {
    const { customer, account } = await fundedCard(api, 0);
    const openStreams = async () => {
      const metrics = await (await fetch(`${bank.processes[0]!.readyMessage!.managementUrl}/metrics`)).text();
      return Number(/^cleave_notification_streams_open (\d+)/m.exec(metrics)?.[1]);
    };
    const left = Array.from({ length: 5 }, () =>
      fetch(`${api.base}/notifications/stream?account_id=${account}`, {
        headers: { authorization: `Bearer ${customer.token}` },
        signal: AbortSignal.timeout(100),
      }).catch(() => undefined),
    );
    await Promise.all(left);
    const stayed = await EventStream.open(`${api.base}/notifications/stream?account_id=${account}`, customer.token);
    try {
      // The stream that stayed is open, so the ones that left were handled before it: none of them is held.
      expect(await openStreams()).toBe(1);
    } finally {
      stayed.close();
    }
    await eventually(openStreams, (open) => open === 0);
  });
});
