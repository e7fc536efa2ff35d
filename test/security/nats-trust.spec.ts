import { connect, headers as natsHeaders, type Msg, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { ContractRegistry, formatTraceparent, newEntityId, PrincipalSeal, principalKeysFrom, rootContext } from '@cleave/platform';
import { cleaveDeployment } from '../../apps/cleave/src/deployment';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, startBank, type RunningBank } from '../support/cleave-http';
import { EventStream } from '../support/event-stream';
import { ledgerTransaction, publishTransactionEvent } from '../support/ledger-events';
import { balanceOf, CLIENT_ID, eventually, fundedCard, NETWORK_SECRET, type Customer } from '../http/customers';

const ADMIN = { authorization: 'Bearer cleave-development-admin-secret' };

/**
 * What the split bank refuses from whoever reaches its NATS server: no credentials, another service's
 * credentials, forged or replayed principals. Every attempt is made for real, against the generated
 * permissions and a fresh principal key pair, and the money is checked afterwards.
 */
describe('a split bank trusts no one on its NATS server', () => {
  let bank: RunningBank;
  let api: Api;
  let victim: { customer: Customer; account: string; cardToken: string };
  const connections: NatsConnection[] = [];

  /** A NATS connection as one of the bank's roles, with that role's own reply inbox. */
  async function as(role: string): Promise<NatsConnection> {
    const nc = await connect({
      servers: bank.nats!.url,
      user: role,
      pass: bank.security!.passwords[role],
      inboxPrefix: `_INBOX.${bank.security!.prefix}.${role}`,
    });
    connections.push(nc);
    return nc;
  }

  const subject = (pattern: string) => `${bank.security!.prefix}.req.${pattern}`;

  /** Headers as a caller would send them, with a principal header of our choosing. */
  function callHeaders(traceparent: string, principal?: string) {
    const h = natsHeaders();
    h.set('traceparent', traceparent);
    h.set('cleave-timeout-ms', '2000');
    if (principal !== undefined) h.set('cleave-principal', principal);
    return h;
  }

  /** A request's outcome: the reply's JSON, or the error nats.js raised (a permissions violation, say). */
  async function attempt(
    nc: NatsConnection,
    pattern: string,
    body: unknown,
    principal?: string,
    traceparent = formatTraceparent(rootContext({}, 1000)),
  ) {
    try {
      const reply = await nc.request(subject(pattern), JSON.stringify(body), {
        timeout: 2_000,
        headers: callHeaders(traceparent, principal),
      });
      return { reply: reply.json<Record<string, unknown>>(), error: reply.headers?.get('Nats-Service-Error-Code') ?? null };
    } catch (error) {
      return { refused: (error as Error).message };
    }
  }

  /** Subscribes and reports whether the server let the subscription stand. */
  async function subscribeOutcome(nc: NatsConnection, what: string, queue?: string): Promise<'refused' | 'allowed'> {
    const sub = nc.subscribe(what, { queue });
    await nc.flush();
    const closed = await Promise.race([sub.closed, new Promise((r) => setTimeout(() => r('open'), 500))]);
    sub.unsubscribe();
    return closed instanceof Error && /permissions violation/i.test(closed.message) ? 'refused' : 'allowed';
  }

  beforeAll(async () => {
    bank = await startBank('split', 'sqlite');
    api = new Api(bank.url);
    victim = await fundedCard(api, 50_000);
  }, 120_000);
  afterAll(async () => {
    await Promise.all(connections.map((nc) => nc.close().catch(() => undefined)));
    await bank?.stop();
  });

  it('lets no one connect without credentials, or with a wrong password', async () => {
    await expect(connect({ servers: bank.nats!.url, reconnect: false })).rejects.toThrow(/authoriz/i);
    await expect(connect({ servers: bank.nats!.url, user: 'ledger', pass: 'guess', reconnect: false })).rejects.toThrow(/authoriz/i);
  });

  it("refuses a service's credentials for what its contracts don't list: calls, inboxes, other services' requests and events", async () => {
    const feed = await as('feed');
    // The attacks of the drill: mint money, move it, read it, answer as identity, read everyone's replies.
    expect(await attempt(feed, 'ledger.top-up', { accountId: victim.account, amount: 1_000_000_000, currency: 'GBP' })).toMatchObject({
      refused: expect.stringMatching(/permissions violation/i),
    });
    expect(await attempt(feed, 'accounts.transfer', {})).toMatchObject({ refused: expect.stringMatching(/permissions violation/i) });
    expect(await attempt(feed, 'accounts.list-accounts', { ownerId: victim.customer.userId })).toMatchObject({
      refused: expect.stringMatching(/permissions violation/i),
    });
    expect(await attempt(feed, 'cards.authorise', {})).toMatchObject({ refused: expect.stringMatching(/permissions violation/i) });
    expect(await attempt(feed, 'webhooks.register', {})).toMatchObject({ refused: expect.stringMatching(/permissions violation/i) });
    expect(await subscribeOutcome(feed, '_INBOX.>')).toBe('refused');
    expect(await subscribeOutcome(feed, `_INBOX.${bank.security!.prefix}.gateway.>`)).toBe('refused');
    expect(await subscribeOutcome(feed, subject('identity.authenticate'), 'identity')).toBe('refused');
    expect(await subscribeOutcome(feed, subject('ledger.*'))).toBe('refused');
    // Its own requests, but outside its queue group, would let it watch a share of them unseen.
    expect(await subscribeOutcome(feed, subject('feed.list-items'))).toBe('refused');
    expect(await subscribeOutcome(feed, subject('feed.list-items'), 'feed')).toBe('allowed');
    // Another context's events, published as if they were the ledger's.
    const js = jetstream(feed);
    await expect(js.publish(`${bank.security!.prefix}.evt.ledger.transaction-created.v1`, '{}')).rejects.toThrow();
    // Cards may move money through the ledger, but only with the commands it uses.
    const cards = await as('cards');
    expect(await attempt(cards, 'ledger.top-up', { accountId: victim.account, amount: 1000, currency: 'GBP' })).toMatchObject({
      refused: expect.stringMatching(/permissions violation/i),
    });
    expect(await attempt(cards, 'identity.authenticate', { accessTokenHash: '0'.repeat(64) })).toMatchObject({
      refused: expect.stringMatching(/permissions violation/i),
    });
    expect((await balanceOf(api, victim.customer, victim.account)).balance).toBe(50_000);
  });

  // The consumer permissions named the consumer but not its filter: cards, which reads only the gateway's
  // abandonments, could remake its consumer to read every event in the stream (tokens revoked, every payment).
  it("lets a service make its consumer only with its own filter: cards can't remake its consumer to read every event", async () => {
    const prefix = bank.security!.prefix;
    const stream = `${prefix.replace(/[^A-Za-z0-9_-]/g, '_')}_EVENTS`;
    const cards = await as('cards');
    const own = `${prefix}.evt.gateway.authorisation-abandoned.v1`;
    const everything = `${prefix}.evt.>`;
    const remake = async (apiSubject: string) => {
      const config = {
        durable_name: 'cards',
        ack_policy: 'explicit',
        deliver_policy: 'all',
        filter_subject: everything,
        max_ack_pending: 1,
      };
      try {
        const reply = await cards.request(apiSubject, JSON.stringify({ stream_name: stream, config }), { timeout: 2_000 });
        return reply.json<{ error?: { description: string } }>().error?.description ?? 'remade';
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(await remake(`$JS.API.CONSUMER.DURABLE.CREATE.${stream}.cards`)).toMatch(/permissions violation/i);
    expect(await remake(`$JS.API.CONSUMER.CREATE.${stream}.cards`)).toMatch(/permissions violation/i);
    expect(await remake(`$JS.API.CONSUMER.CREATE.${stream}.cards.${everything}`)).toMatch(/permissions violation/i);
    // Its own filter in the subject and another in the body: the server holds the body to the subject.
    expect(await remake(`$JS.API.CONSUMER.CREATE.${stream}.cards.${own}`)).not.toBe('remade');
    const info = await cards.request(`$JS.API.CONSUMER.INFO.${stream}.cards`, '', { timeout: 2_000 });
    expect(info.json<{ config: { filter_subject: string } }>().config.filter_subject).toBe(own);
  });

  it('acts for no principal that the gateway did not seal for this very call', async () => {
    const gateway = await as('gateway');
    const principal = { kind: 'user' as const, id: victim.customer.userId, clientId: CLIENT_ID, scopes: ['customer'] };
    const list = { ownerId: victim.customer.userId };
    // A principal as plain JSON (what the bus used to believe), and no principal at all.
    const forged = await attempt(gateway, 'accounts.list-accounts', list, JSON.stringify(principal));
    expect(forged).toMatchObject({ error: '401', reply: { code: 'unauthenticated', reason: 'bad_principal' } });
    expect(await attempt(gateway, 'accounts.list-accounts', list)).toMatchObject({
      error: '403',
      reply: { code: 'forbidden', reason: 'missing_scope' },
    });
    // Sealed with a key that is not the gateway's.
    const impostor = new PrincipalSeal(
      principalKeysFrom(
        (await import('node:crypto')).generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
        undefined,
      ),
    );
    const call = rootContext({ principal }, 2_000);
    expect(await attempt(gateway, 'accounts.list-accounts', list, impostor.seal(call), formatTraceparent(call))).toMatchObject({
      reply: { code: 'unauthenticated' },
    });
    // Sealed with the real key: what the gateway's own process does. The reply proves the rest of the path works.
    const genuine = new PrincipalSeal(principalKeysFrom(bank.security!.privateKey, undefined));
    const honest = await attempt(gateway, 'accounts.list-accounts', list, genuine.seal(call), formatTraceparent(call));
    expect(honest).toMatchObject({ error: null, reply: [expect.objectContaining({ id: victim.account })] });
    // The same seal replayed on another call, and one replayed after its call's deadline.
    const other = rootContext({}, 2_000);
    expect(await attempt(gateway, 'accounts.list-accounts', list, genuine.seal(call), formatTraceparent(other))).toMatchObject({
      reply: { code: 'unauthenticated', message: expect.stringMatching(/another call/) },
    });
    const lapsed = rootContext({ principal: { ...principal }, deadline: Date.now() - 6_000 }, 2_000);
    expect(await attempt(gateway, 'accounts.list-accounts', list, genuine.seal(lapsed), formatTraceparent(lapsed))).toMatchObject({
      reply: { code: 'unauthenticated', message: expect.stringMatching(/expired/) },
    });
    // Network and admin authority travel only in the gateway's seal.
    expect(
      await attempt(gateway, 'cards.authorise', {
        cardToken: victim.cardToken,
        amount: 100,
        currency: 'GBP',
        networkTransactionId: 'ntx-forged',
        merchant: { name: 'X', mcc: '5814' },
      }),
    ).toMatchObject({ reply: { code: 'forbidden' } });
    expect(await attempt(gateway, 'feed.list-dead-letters', {})).toMatchObject({ reply: { code: 'forbidden' } });
    const customerSeal = genuine.seal(call);
    expect(await attempt(gateway, 'feed.list-dead-letters', {}, customerSeal, formatTraceparent(call))).toMatchObject({
      reply: { code: 'forbidden', reason: 'missing_scope' },
    });
    expect((await balanceOf(api, victim.customer, victim.account)).balance).toBe(50_000);
  });

  it('keeps raw tokens off the bus: a login crosses it only as digests', async () => {
    // The gateway's own credentials may read its own inbox: the most any peer could see of a login.
    const gateway = await as('gateway');
    const seen: string[] = [];
    const sub = gateway.subscribe(`_INBOX.${bank.security!.prefix}.gateway.>`, {
      callback: (e, m: Msg) => void (e || seen.push(m.string())),
    });
    await gateway.flush();
    const login = await api.post('/oauth2/token', {
      grant_type: 'password',
      client_id: CLIENT_ID,
      username: victim.customer.email,
      password: victim.customer.password,
    });
    expect(login.status).toBe(200);
    const refresh = await api.post('/oauth2/token', {
      grant_type: 'refresh_token',
      client_id: CLIENT_ID,
      refresh_token: login.body.refresh_token,
    });
    expect(refresh.status).toBe(200);
    await eventually(
      async () => seen.length,
      (n) => n >= 2,
    );
    sub.unsubscribe();
    for (const token of [login.body.access_token, login.body.refresh_token, refresh.body.access_token, refresh.body.refresh_token]) {
      expect(seen.join('\n')).not.toContain(token);
    }
    // The old access token ends at once, in the gateway that handled the refresh.
    expect((await api.get('/ping/whoami', { token: login.body.access_token })).status).toBe(401);
    expect((await api.get('/ping/whoami', { token: refresh.body.access_token })).status).toBe(200);
  });

  it('authorises a card payment only with the network credential, over HTTP as before', async () => {
    const pay = (credential: string) =>
      api.post(
        '/network/authorisations',
        {
          card_token: victim.cardToken,
          amount: 500,
          currency: 'GBP',
          network_transaction_id: `ntx-trust-${credential.length}`,
          merchant: { name: 'Cafe', mcc: '5814' },
        },
        { headers: { authorization: `Bearer ${credential}` } },
      );
    expect((await pay(victim.customer.token)).status).toBe(401);
    expect((await pay(NETWORK_SECRET)).body).toMatchObject({ approved: true });
  });
  it('answers garbage on every subject it may be sent, with a typed error, and keeps serving', async () => {
    const gateway = await as('gateway');
    const before = (await balanceOf(api, victim.customer, victim.account)).balance;
    const registry = new ContractRegistry(cleaveDeployment.contracts);
    const deep = '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000);
    const payloads: Array<[string, Uint8Array | string]> = [
      ['bytes', new Uint8Array([0, 255, 123, 10, 13])],
      ['array', '[]'],
      ['string', '"hello"'],
      ['deep', deep],
      ['unknown fields', '{"surprise":1}'],
    ];
    const badHeaders: Array<[string, Record<string, string>]> = [
      ['budget', { 'cleave-timeout-ms': 'soon' }],
      ['principal', { traceparent: formatTraceparent(rootContext({}, 1000)), 'cleave-principal': 'x'.repeat(5_000) }],
      ['request id', { 'cleave-request-id': 'r'.repeat(500) }],
      ['idempotency key', { 'idempotency-key': 'clé' }],
      ['traceparent', { traceparent: 'garbage', 'cleave-principal': 'v1.a.b' }],
    ];
    const statuses = new Map<string, string>();
    for (const pattern of registry.dependenciesOf('gateway').calls) {
      for (const [name, data] of payloads) {
        const reply = await gateway.request(subject(pattern), data, { timeout: 3_000 });
        statuses.set(`${pattern} ${name}`, reply.headers?.get('Nats-Service-Error-Code') ?? `ok ${reply.string().slice(0, 40)}`);
      }
      for (const [name, values] of badHeaders) {
        const h = natsHeaders();
        for (const [k, v] of Object.entries(values)) h.set(k, v);
        const reply = await gateway.request(subject(pattern), '{}', { timeout: 3_000, headers: h });
        statuses.set(`${pattern} ${name} header`, reply.headers?.get('Nats-Service-Error-Code') ?? `ok ${reply.string().slice(0, 40)}`);
      }
    }
    // Every one refused by a typed error: bad input, no credible principal, or no authority.
    const unexpected = [...statuses].filter(([, status]) => !['400', '401', '403'].includes(status));
    expect(unexpected).toEqual([]);
    expect((await api.get('/readyz')).status).toBe(200);
    expect((await balanceOf(api, victim.customer, victim.account)).balance).toBe(before);
  });

  it('survives garbage live events and poison in the stream: parked at once, and the next payment flows', async () => {
    const prefix = bank.security!.prefix;
    const identity = await as('identity');
    const feed = await as('feed');
    const ledger = await as('ledger');
    // Live (every-replica) events with no id, no JSON, and a principal header it no longer reads.
    for (const [nc, event] of [
      [identity, 'identity.token-revoked.v1'],
      [feed, 'feed.notification-created.v1'],
    ] as const) {
      nc.publish(`${prefix}.evt.${event}`, 'garbage');
      const h = natsHeaders();
      h.set('Nats-Msg-Id', newEntityId('evt'));
      h.set('cleave-event-time', new Date().toISOString());
      h.set('cleave-principal', '{not json');
      nc.publish(`${prefix}.evt.${event}`, '{"accessTokenHash":5}', { headers: h });
      await nc.flush();
    }
    // Poison on the durable stream the feed and webhooks consume.
    const js = jetstream(ledger);
    const poison = (id: string, data: string) => {
      const h = natsHeaders();
      h.set('cleave-event-time', new Date().toISOString());
      h.set('cleave-aggregate-id', victim.account);
      return js.publish(`${prefix}.evt.ledger.transaction-created.v1`, data, { msgID: id, headers: h });
    };
    await poison(newEntityId('evt'), '{not json');
    await poison(newEntityId('evt'), '{"transaction":{"id":"nonsense"}}');
    await poison(`evt_${'x'.repeat(100)}`, '{}');
    await js.publish(`${prefix}.evt.ledger.transaction-created.v1`, '{}');
    // Too deep to decode, and too deep for JSON.stringify when it is parked.
    await poison(newEntityId('evt'), '{"transaction":' + '['.repeat(20_000) + ']'.repeat(20_000) + '}');
    // A header block nats.js can't decode (a name with a space), which the server stores: it stopped each
    // consumer for good, redelivered every few seconds and never parked.
    const unparseable = `NATS/1.0\r\nNats-Msg-Id: ${newEntityId('evt')}\r\nBad Key: x\r\n\r\n`;
    await js.publish(`${prefix}.evt.ledger.transaction-created.v1`, '{}', {
      headers: { encode: () => Buffer.from(unparseable) } as unknown as MsgHdrs,
    });
    // Each consuming context parks all six at once, on its first attempt.
    for (const context of ['feed', 'webhooks']) {
      const parked = await eventually(
        async () =>
          (await api.get(`/admin/dead-letters?context=${context}`, { headers: ADMIN })).body.dead_letters as Array<{
            attempts: number;
            error: string;
          }>,
        (letters) => letters?.length >= 6,
      );
      expect(parked.every((l) => l.attempts === 1)).toBe(true);
      expect(parked.filter((l) => l.error.startsWith('poison: the headers do not parse')).length).toBe(1);
      expect(parked.map((l) => l.error).join('\n')).toMatch(
        /poison: the payload is not JSON[\s\S]*bad_request[\s\S]*poison: the event id[\s\S]*poison: the event id/,
      );
    }
    // The consumers moved on: the next payment reaches the feed, and the gateway still serves.
    const paid = await api.post(
      '/network/authorisations',
      {
        card_token: victim.cardToken,
        amount: 700,
        currency: 'GBP',
        network_transaction_id: `ntx-after-poison-${Date.now()}`,
        merchant: { name: 'After Poison', mcc: '5814' },
      },
      { headers: { authorization: `Bearer ${NETWORK_SECRET}` } },
    );
    expect(paid.body).toMatchObject({ approved: true });
    await eventually(
      async () =>
        (await api.get(`/feed?account_id=${victim.account}`, { token: victim.customer.token })).body.items as Array<{ title?: string }>,
      (items) => JSON.stringify(items ?? []).includes('After Poison'),
    );
    expect((await api.get('/readyz')).status).toBe(200);
    expect((await api.get('/ping/whoami', { token: victim.customer.token })).status).toBe(200);
  });

  // A publish the stream drops as a duplicate (a relay republishing after a crash) still reached every
  // gateway replica as a live message: the customer's open stream showed the same notification twice.
  it('shows a live notification once, however many times it is published', async () => {
    const prefix = bank.security!.prefix;
    const feed = await as('feed');
    const stream = await EventStream.open(`${bank.url}/notifications/stream?account_id=${victim.account}`, victim.customer.token);
    try {
      const notify = (id: string, text: string) => {
        const h = natsHeaders();
        h.set('Nats-Msg-Id', id);
        h.set('cleave-event-time', new Date().toISOString());
        h.set('cleave-aggregate-id', victim.account);
        const notification = {
          id: `notif_${id.slice('evt_'.length)}`,
          accountId: victim.account,
          kind: 'spend',
          text,
          transactionId: newEntityId('tx'),
          created: new Date().toISOString(),
        };
        feed.publish(`${prefix}.evt.feed.notification-created.v1`, JSON.stringify({ notification }), { headers: h });
      };
      const twice = newEntityId('evt');
      notify(twice, 'published twice');
      notify(twice, 'published twice');
      notify(newEntityId('evt'), 'published once');
      await feed.flush();
      await eventually(
        async () => stream.events.map((e) => JSON.parse(e.data).text as string),
        (texts) => texts.includes('published once'),
      );
      expect(stream.events.map((e) => JSON.parse(e.data).text)).toEqual(['published twice', 'published once']);
    } finally {
      stream.close();
    }
  });

  // Cards kept no dead letters: parking poison on the gateway's abandonments failed, so the message came back
  // for ever, the consumer restarted every few seconds, and a network retry it should have declined was approved.
  it("parks poison among the gateway's abandonments in cards, which moves on: a later abandonment still declines the network's retry", async () => {
    const prefix = bank.security!.prefix;
    const js = jetstream(await as('gateway'));
    const abandoned = (id: string, data: string) => {
      const h = natsHeaders();
      h.set('cleave-event-time', new Date().toISOString());
      h.set('cleave-aggregate-id', 'network');
      return js.publish(`${prefix}.evt.gateway.authorisation-abandoned.v1`, data, { msgID: id, headers: h });
    };
    await abandoned('x1', 'garbage{');
    await abandoned(newEntityId('evt'), '{"networkTransactionId":5}');
    const lettersOfCards = async () =>
      (await api.get('/admin/dead-letters?context=cards', { headers: ADMIN })).body.dead_letters as Array<{ id: string; error: string }>;
    const parked = await eventually(lettersOfCards, (letters) => letters?.length >= 2);
    expect(parked.map((l) => l.error).join('\n')).toMatch(/poison: the event id "x1"[\s\S]*bad_request/);
    // The consumer moved on: an abandonment published after the poison is applied, so the network's retry of
    // that authorisation gets the answer it was given then, not an approval.
    const ntx = `ntx-abandoned-after-poison-${Date.now()}`;
    await abandoned(newEntityId('evt'), JSON.stringify({ networkTransactionId: ntx }));
    const retry = () =>
      api.post(
        '/network/authorisations',
        {
          card_token: victim.cardToken,
          amount: 700,
          currency: 'GBP',
          network_transaction_id: ntx,
          merchant: { name: 'Retried', mcc: '5814' },
        },
        { headers: { authorization: `Bearer ${NETWORK_SECRET}` } },
      );
    const answer = await eventually(
      async () => (await retry()).body,
      (body) => body?.approved === false,
    );
    expect(answer).toMatchObject({ approved: false, decline_reason: 'issuer_unavailable' });
    // Cleared all the same (the stand-in case), it is a force post: the decline recorded for it names no currency.
    const presentment = await api.post(
      '/network/presentments',
      {
        presentment_id: `p-${ntx}`,
        network_transaction_id: ntx,
        card_token: victim.cardToken,
        amount: 700,
        currency: 'GBP',
        merchant: { name: 'Retried', mcc: '5814' },
      },
      { headers: { authorization: `Bearer ${NETWORK_SECRET}` } },
    );
    expect([presentment.status, presentment.body.status]).toEqual([200, 'force_posted']);
    // An operator drops a poison letter no replay can handle; it is gone from the list.
    const poison = parked.find((l) => /"x1"/.test(l.error))!;
    expect((await api.post(`/admin/dead-letters/cards/${poison.id}/replay`, undefined, { headers: ADMIN })).status).toBe(409);
    expect((await api.post(`/admin/dead-letters/cards/${poison.id}/discard`, undefined, { headers: ADMIN })).status).toBe(201);
    expect((await lettersOfCards()).map((l) => l.id)).not.toContain(poison.id);
  });

  // An events stream made anew republishes what the outboxes kept: a webhook registered since got 25,000
  // deliveries of events from before it existed.
  it('delivers a webhook only what happened after it was registered, however late an event arrives', async () => {
    const hook = (
      await api.post('/webhooks', { account_id: victim.account, url: 'https://93.184.215.14/hook' }, { token: victim.customer.token })
    ).body.webhook;
    const ledger = await as('ledger');
    const created = (id: string, time: string, description: string) =>
      publishTransactionEvent(ledger, bank, 'created', ledgerTransaction(victim.account, { created: time, description, amount: -100 }), {
        id,
        time,
      });
    const [before, after] = [newEntityId('evt'), newEntityId('evt')];
    await created(before, new Date(Date.now() - 3_600_000).toISOString(), 'Before The Hook');
    await created(after, new Date().toISOString(), 'After The Hook');
    // In order: once the later event is queued for the webhook, the earlier one was taken in before it.
    const deliveries = await eventually(
      async () =>
        (await api.get(`/webhooks/${hook.id}/deliveries`, { token: victim.customer.token })).body.deliveries as Array<{ event_id: string }>,
      (list) => list?.some((d) => d.event_id === after),
    );
    expect(deliveries.map((d) => d.event_id)).not.toContain(before);
    await api.call('DELETE', `/webhooks/${hook.id}`, undefined, { token: victim.customer.token });
  });

  it('takes a run of events in one message apart: good events applied, each bad one parked alone, a bad run parked whole', async () => {
    const prefix = bank.security!.prefix;
    const js = jetstream(await as('ledger'));
    const lettersOf = async (context: string) =>
      ((await api.get(`/admin/dead-letters?context=${context}`, { headers: ADMIN })).body.dead_letters as Array<{ error: string }>).map(
        (l) => l.error,
      );
    const lettersBefore = new Map<string, string[]>();
    for (const context of ['feed', 'webhooks']) lettersBefore.set(context, await lettersOf(context));
    const now = new Date().toISOString();
    const transaction = (description: string) => ({ transaction: ledgerTransaction(victim.account, { created: now, description }) });
    const entry = (payload: unknown, id = newEntityId('evt')) => ({ id, time: now, aggregateId: victim.account, payload });
    const run = (entries: unknown, count: string) => {
      const h = natsHeaders();
      h.set('cleave-batch', count);
      const data = typeof entries === 'string' ? entries : JSON.stringify(entries);
      return js.publish(`${prefix}.evt.ledger.transaction-created.v1`, data, { msgID: `${newEntityId('evt')}+x`, headers: h });
    };
    // A good event either side of two bad ones: a payload the contract refuses, and an id Cleave never makes.
    await run(
      [
        entry(transaction('Batch First')),
        entry({ transaction: { id: 'nonsense' } }),
        entry(transaction('Never'), 'evt_bad'),
        entry(transaction('Batch Last')),
      ],
      '4',
    );
    // Runs that are not runs: not JSON, not an array, empty, too long.
    await run('{not json', '2');
    await run({ not: 'an array' }, '1');
    await run([], '1');
    await run(
      Array.from({ length: 101 }, () => entry(transaction('Too Many'))),
      '101',
    );
    await eventually(
      async () =>
        (await api.get(`/feed?account_id=${victim.account}&limit=100`, { token: victim.customer.token })).body.items as Array<{
          title?: string;
        }>,
      (items) => ['Batch First', 'Batch Last'].every((title) => JSON.stringify(items ?? []).includes(title)),
    );
    // Each consuming context parks the two bad events and the four bad runs, once each.
    for (const context of ['feed', 'webhooks']) {
      const before = lettersBefore.get(context)!;
      const letters = await eventually(
        () => lettersOf(context),
        (all) => all.length >= before.length + 6,
      );
      const added = (pattern: RegExp) => letters.filter((e) => pattern.test(e)).length - before.filter((e) => pattern.test(e)).length;
      expect(letters.length - before.length).toBe(6);
      expect(added(/^bad_request/)).toBe(1);
      expect(added(/poison: the event id "evt_bad"/)).toBe(1);
      expect(added(/poison: the batch is not JSON/)).toBe(1);
      expect(added(/poison: a batch must be an array/)).toBe(3);
    }
    const feed = JSON.stringify(
      (await api.get(`/feed?account_id=${victim.account}&limit=100`, { token: victim.customer.token })).body.items,
    );
    expect(feed).not.toContain('Never');
    expect(feed).not.toContain('Too Many');
    expect((await api.get('/readyz')).status).toBe(200);
  });

  it("answers only into reply inboxes: a request can't aim a service's answer at the JetStream API", async () => {
    const prefix = bank.security!.prefix;
    const stream = `${prefix}_EVENTS`;
    const accounts = await as('accounts');
    const observer = await as('observer');
    // Accounts may call the ledger; it asks for the answer to go to the stream's delete API.
    accounts.publish(subject('ledger.get-balance'), JSON.stringify({ accountId: victim.account }), {
      reply: `$JS.API.STREAM.DELETE.${stream}`,
      headers: callHeaders(formatTraceparent(rootContext({}, 1000))),
    });
    observer.publish('$SRV.PING', '', { reply: `$JS.API.STREAM.PURGE.${stream}` });
    await accounts.flush();
    await observer.flush();
    // An honest call to the same service afterwards: by the time it is answered, the first one was handled.
    expect(await attempt(accounts, 'ledger.get-balance', { accountId: victim.account })).toMatchObject({ error: null });
    const feed = await as('feed');
    const info = await feed.request(`$JS.API.STREAM.INFO.${stream}`, '', { timeout: 2_000 });
    expect(info.json<{ config?: { name: string }; error?: unknown }>()).toMatchObject({ config: { name: stream } });
    expect(info.json<{ state: { messages: number } }>().state.messages).toBeGreaterThan(0);
  });

  it('survives hostile replies: a bad answer fails one call, never the gateway', async () => {
    // A rogue accounts replica, in the accounts queue group, answering with garbage.
    const rogue = await as('accounts');
    let answered = 0;
    const replies = ['not json', '{"code":"internal","message":"' + 'm'.repeat(100_000) + '"}', '[1,2', ''];
    const sub = rogue.subscribe(subject('accounts.get-balance'), {
      queue: 'accounts',
      callback: (_e, m) => {
        m.respond(replies[answered++ % replies.length]);
      },
    });
    await rogue.flush();
    const statuses: number[] = [];
    const deadline = Date.now() + 30_000;
    while (answered < 4 && Date.now() < deadline)
      statuses.push((await api.get(`/balance?account_id=${victim.account}`, { token: victim.customer.token })).status);
    sub.unsubscribe();
    await rogue.flush();
    expect(answered).toBeGreaterThanOrEqual(4);
    expect(statuses.every((s) => s === 200 || s === 500)).toBe(true);
    expect(statuses).toContain(500);
    for (let i = 0; i < 5; i++)
      expect((await api.get(`/balance?account_id=${victim.account}`, { token: victim.customer.token })).status).toBe(200);
  });
});
