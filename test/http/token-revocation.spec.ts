import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, startBank, type RunningBank } from '../support/cleave-http';

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
});
