import { Logger } from '@nestjs/common';
import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuardedSubscriptions } from '../../libs/platform/src/nats/guarded-subscriptions';
import { eventually } from '../http/customers';
import { NatsServerProcess } from '../support/nats-server';

const permissions = (subscribe: string[]) => `authorization {
  users: [
    { user: "svc", password: "svc-password", permissions: { publish: [">"], subscribe: ${JSON.stringify(subscribe)} } }
  ]
}
`;

describe('guarded subscriptions', () => {
  let server: NatsServerProcess;
  let nc: NatsConnection;
  beforeAll(async () => {
    server = await NatsServerProcess.start({ authorization: { block: permissions(['ok.>']), env: {} } });
    nc = await connect({ servers: server.url, user: 'svc', pass: 'svc-password' });
  });
  afterAll(async () => {
    await nc?.close();
    await server?.dispose();
  });

  it('keeps the connection reading when a handler throws on a message', async () => {
    const subs = new GuardedSubscriptions(nc, new Logger('test'));
    const handled: string[] = [];
    subs.add('ok.throws', (msg: Msg) => {
      if (msg.string() === 'poison') throw new Error('cannot handle this');
      handled.push(msg.string());
    });
    await nc.flush();
    for (const body of ['one', 'poison', 'two', 'poison', 'three']) nc.publish('ok.throws', body);
    await eventually(
      async () => handled,
      (h) => h.length === 3,
    );
    expect(handled).toEqual(['one', 'two', 'three']);
    expect(subs.problems()).toEqual([]);
    subs.close();
  });

  it('reports a subscription the server closes, and makes it again once it is allowed', async () => {
    const subs = new GuardedSubscriptions(nc, new Logger('test'));
    const handled: string[] = [];
    subs.add('later.allowed', (msg: Msg) => handled.push(msg.string()));
    const down = await eventually(
      async () => subs.problems(),
      (p) => p.length === 1,
    );
    expect(down[0]).toMatch(/subscription to later\.allowed is down: .*permissions violation/i);
    await server.reload(permissions(['ok.>', 'later.>']));
    // The resubscription lands once the server has the new permissions; messages then flow again.
    await eventually(
      async () => {
        nc.publish('later.allowed', 'hello');
        await nc.flush();
        return { problems: subs.problems(), handled: handled.length };
      },
      (state) => state.problems.length === 0 && state.handled > 0,
      20_000,
    );
    subs.close();
  });
});
