import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, startBank, type RunningBank } from '../support/cleave-http';
import { openAccount, signUp } from '../http/customers';

describe('webhook registration refuses internal addresses (no development setting)', () => {
  let bank: RunningBank;
  let api: Api;
  let token: string;
  let account: string;

  beforeAll(async () => {
    bank = await startBank('monolith', 'sqlite');
    api = new Api(bank.url);
    const customer = await signUp(api);
    token = customer.token;
    account = await openAccount(api, customer);
  });
  afterAll(async () => {
    await bank?.stop();
  });

  it.each([
    ['loopback', 'http://127.0.0.1:8080/hook'],
    ['loopback by name', 'http://localhost/hook'],
    ['IPv6 loopback', 'http://[::1]/hook'],
    ['IPv4-mapped loopback', 'http://[::ffff:127.0.0.1]/hook'],
    ['private 10/8', 'http://10.1.2.3/hook'],
    ['private 172.16/12', 'https://172.20.0.5/hook'],
    ['private 192.168/16', 'http://192.168.0.10/hook'],
    ['unique-local IPv6', 'http://[fd12:3456::1]/hook'],
    ['cloud metadata', 'http://169.254.169.254/latest/meta-data/'],
    ['cloud metadata over IPv6', 'http://[fd00:ec2::254]/latest'],
    ['link-local', 'http://[fe80::1]/hook'],
    ['carrier-grade NAT', 'http://100.64.1.1/hook'],
    ['unspecified', 'http://0.0.0.0/hook'],
  ])('refuses %s: %s', async (_what, url) => {
    const reply = await api.post('/webhooks', { account_id: account, url }, { token });
    expect(reply.status).toBe(400);
    expect(reply.body.code).toBe('bad_request.url_not_allowed');
    expect(reply.body.params).toHaveProperty('url');
  });

  it.each([
    ['an IPv6 zone id', 'http://[::1%25lo]/hook'],
    ['longer than a column once percent-encoded', `https://93.184.215.14/${'{'.repeat(2_000)}`],
  ])('refuses a URL %s as a bad parameter', async (_what, url) => {
    const reply = await api.post('/webhooks', { account_id: account, url }, { token });
    expect([reply.status, reply.body.code, Object.keys(reply.body.params ?? {})]).toEqual([400, 'bad_request.bad_param', ['url']]);
  });

  it('accepts a public address', async () => {
    const reply = await api.post('/webhooks', { account_id: account, url: 'https://93.184.215.14/hook' }, { token });
    // 200, as Monzo answers: a client that checks for it would retry a 201 and register twice.
    expect(reply.status).toBe(200);
  });
});
