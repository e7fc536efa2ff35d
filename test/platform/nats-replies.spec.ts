import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsServerProcess } from '../support/nats-server';
import { rootContext } from '../../libs/platform/src/context/call-context';
import { CleaveError } from '../../libs/platform/src/errors/cleave-error';
import { NatsTransport, type NatsTransportOptions } from '../../libs/platform/src/nats/nats.transport';
import { developmentPrincipalKeys, PrincipalSeal } from '../../libs/platform/src/security/principal-seal';

/**
 * An answer larger than NATS carries in one message (max_payload, 1 MiB by default) was dropped with a log
 * line, and its caller waited out its whole budget for a `timeout` that counted against the callee's
 * circuit. A customer's heavily annotated transactions, listed 100 at a time, reach that size in a split bank.
 */
describe('an answer too large for one NATS message', () => {
  let server: NatsServerProcess;
  let callee: NatsTransport;
  let caller: NatsTransport;

  beforeAll(async () => {
    server = await NatsServerProcess.start({ noJetStream: true });
    const options = (role: string): NatsTransportOptions => ({
      url: server.url,
      credentials: {},
      prefix: 'replies',
      role,
      seal: new PrincipalSeal(developmentPrincipalKeys()),
      connectionName: role,
      defaultTimeoutMs: 5_000,
      eventTimeoutMs: 5_000,
      version: 'test',
    });
    callee = await NatsTransport.connect(options('ledger'));
    caller = await NatsTransport.connect(options('gateway'));
    await callee.serve(
      {
        isReady: true,
        ready: Promise.resolve(),
        subscribersOf: () => [],
        dispatchEvent: async () => undefined,
        dispatchRequest: (_pattern, plain) => ({
          items: Array.from({ length: (plain as { count: number }).count }, () => '€'.repeat(10_000)),
        }),
      },
      ['ledger.list-transactions'],
    );
  });
  afterAll(async () => {
    await caller?.close();
    await callee?.stopServing();
    await callee?.close();
    await server?.dispose();
  });

  const list = (count: number) => caller.request('ledger.list-transactions', { count }, rootContext({ timeoutMs: 10_000 }, 10_000));

  it('is refused at once with a typed error that says to ask for less, and a smaller one is answered', async () => {
    const refusal = await list(40).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(CleaveError);
    expect([(refusal as CleaveError).code, (refusal as CleaveError).reason]).toEqual(['bad_request', 'reply_too_large']);
    expect((refusal as CleaveError).message).toMatch(
      /^the answer is \d+ bytes, more than this bank sends at once \(1048576\); ask for less/,
    );
    expect(((await list(10)) as { items: string[] }).items).toHaveLength(10);
  });
});
