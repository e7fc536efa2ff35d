import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, startBank, type RunningBank } from '../support/cleave-http';
import { eventually, openAccount, signUp, type Customer } from '../http/customers';

/**
 * The split bank degrades rather than collapses: a slow context answers `timeout` itself, a frozen one
 * trips its callers' circuit breaker and is then refused at once, a dead one is answered `unavailable` at once, an overloaded one sheds, and the
 * other contexts keep serving throughout.
 */
describe('degrading, split', () => {
  let bank: RunningBank;
  let api: Api;
  let customer: Customer;
  let account: string;

  beforeAll(async () => {
    bank = await startBank('split', 'sqlite', {
      CLEAVE_FAULTS: 'feed.list-items=delay:3000',
      // Longer than any test waits: a circuit closes here only because a readiness check found its context answering.
      CLEAVE_BREAKER_HALF_OPEN_MS: '120000',
      CLEAVE_BREAKER_FAILURES: '5',
    });
    api = new Api(bank.url);
    customer = await signUp(api);
    account = await openAccount(api, customer);
  }, 120_000);
  afterAll(async () => bank?.stop());

  const balance = () => api.get(`/balance?account_id=${account}`, { token: customer.token });

  const readiness = async () => {
    const gateway = bank.hosting('gateway')[0]!.readyMessage!.managementUrl!;
    return (await (await fetch(`${gateway}/readyz`)).json()) as {
      status: string;
      details: Record<string, { status: string; open?: string[]; silent?: string[] }>;
    };
  };

  it('a slow context answers for itself when out of time, and no circuit opens on a context that answers', async () => {
    const ids = Array.from({ length: 7 }, (_, i) => `slow-feed-${process.pid}-${Date.now()}-${i}`);
    const feed = (id: string) =>
      api.get(`/feed?account_id=${account}`, { token: customer.token, headers: { 'request-timeout-ms': '400', 'x-request-id': id } });
    const replies = [];
    for (const id of ids) replies.push(await feed(id));
    expect(replies.map((r) => `${r.status} ${r.body.code}`)).toEqual(Array(7).fill('504 gateway_timeout'));
    // The client is told nothing of the bank's parts; the gateway's access line says which ran out of time.
    expect(new Set(replies.map((r) => r.body.message))).toEqual(new Set(['the request did not finish in time']));
    const failures = await eventually(
      async () =>
        bank
          .output()
          .split('\n')
          .filter((line) => line.startsWith('{') && ids.some((id) => line.includes(`"${id}"`)))
          .map((line) => JSON.parse(line) as { res?: unknown; failure?: string })
          .filter((line) => line.res !== undefined),
      (lines) => lines.length === ids.length,
    );
    // Each timeout came from feed itself, which shows it alive: slow, perhaps for one account only.
    const answeredByFeed = failures.filter((line) => line.failure === 'feed.list-items ran out of its budget before it finished');
    expect(answeredByFeed.length).toBeGreaterThanOrEqual(5);
    expect((await readiness()).details['bus.circuits']).toMatchObject({ status: 'up' });
  });

  it('a frozen context trips the breaker: timeouts at first, then refusals at once, while the rest serves', async () => {
    const [webhooksProcess] = bank.hosting('webhooks');
    const webhooks = () => api.get(`/webhooks?account_id=${account}`, { token: customer.token, headers: { 'request-timeout-ms': '400' } });
    process.kill(webhooksProcess!.pid!, 'SIGSTOP');
    try {
      const codes: string[] = [];
      for (let i = 0; i < 5; i++) codes.push(`${(await webhooks()).status}`);
      expect(codes).toEqual(['504', '504', '504', '504', '504']);
      const refused = await webhooks();
      expect(refused.status).toBe(503);
      expect(refused.body.code).toBe('service_unavailable.circuit_open');
      expect((await balance()).status).toBe(200);
      // The gateway reports both: the circuit open, and webhooks silent to its probe.
      const ready = await readiness();
      expect(ready.details['bus.circuits']).toMatchObject({ status: 'degraded', open: ['webhooks'] });
      expect(ready.details['gateway.callees']).toMatchObject({ status: 'down', silent: ['webhooks'] });
    } finally {
      process.kill(webhooksProcess!.pid!, 'SIGCONT');
    }
    // Thawed, it answers the next readiness check, which closes the circuit: served again at once, not after
    // the circuit half-opens (a money drill saw 2.6 s of circuit_open after /readyz said ready).
    await eventually(
      async () => (await readiness()).details['bus.circuits']?.status,
      (status) => status === 'up',
      20_000,
    );
    expect((await webhooks()).status).toBe(200);
  });

  it('a context whose only process dies is answered unavailable at once, the rest serves, and it recovers when back', async () => {
    const [ledger] = bank.hosting('ledger');
    const answers: Array<{ what: string; status: number; code?: string; message?: string }> = [];
    let killed = false;
    let running = true;
    // Load throughout: balances need the ledger, account lists don't.
    const load = Promise.all(
      Array.from({ length: 3 }, async () => {
        while (running) {
          // Only requests sent once the process is gone: those it had in hand when killed can only time out.
          const afterKill = killed;
          const [b, a] = await Promise.all([balance(), api.get('/accounts', { token: customer.token })]);
          if (afterKill)
            answers.push(
              { what: 'balance', status: b.status, code: b.body?.code, message: b.body?.message },
              { what: 'accounts', status: a.status },
            );
        }
      }),
    );
    process.kill(ledger!.pid!, 'SIGKILL');
    await ledger!.waitForExit();
    killed = true;
    await eventually(
      async () => answers.filter((a) => a.what === 'balance').length,
      (n) => n >= 20,
      20_000,
    );
    running = false;
    await load;
    const balances = answers.filter((a) => a.what === 'balance');
    // Refused as unavailable (nobody there, or the circuit open), never left to time out.
    expect(
      balances.every((a) => a.status === 503 && /^service_unavailable\./.test(a.code ?? '')),
      JSON.stringify(balances.slice(0, 5)),
    ).toBe(true);
    expect(answers.filter((a) => a.what === 'accounts').every((a) => a.status === 200)).toBe(true);
    // Which part of the bank is away is the operator's to know (the access line), not the client's.
    expect(balances.filter((a) => /ledger|\./.test(a.message ?? '')).map((a) => a.message)).toEqual([]);

    await bank.restart(ledger!);
    // As an orchestrator would, every process's readiness is asked meanwhile: that is what finds the ledger back
    // (a balance goes through accounts, whose circuit to the ledger opened).
    await eventually(
      async () => {
        await Promise.all(
          bank.processes.map((p) =>
            fetch(`${p.readyMessage!.managementUrl!}/readyz`).then(
              (r) => r.arrayBuffer(),
              () => undefined,
            ),
          ),
        );
        return (await balance()).status;
      },
      (status) => status === 200,
      20_000,
    );
  });

  it('an overloaded process sheds what it cannot take, at once and with Retry-After, and answers what it took', async () => {
    const [feed] = bank.hosting('feed');
    await bank.restart(feed!, { CLEAVE_MAX_IN_FLIGHT: '2' });
    await eventually(
      async () => (await api.get(`/feed?account_id=${account}`, { token: customer.token })).status,
      (s) => s === 200,
      20_000,
    );
    const replies = await Promise.all(Array.from({ length: 8 }, () => api.get(`/feed?account_id=${account}`, { token: customer.token })));
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(2);
    const shed = replies.filter((r) => r.status === 503);
    expect(shed.length).toBe(8 - statuses.filter((s) => s === 200).length);
    expect(shed.every((r) => /^service_unavailable\.(overloaded|circuit_open)$/.test(r.body.code))).toBe(true);
    const overloaded = shed.find((r) => r.body.code === 'service_unavailable.overloaded');
    expect(overloaded?.headers.get('retry-after')).toBe('1');
    const metrics = await (await fetch(`${bank.hosting('feed')[0]!.readyMessage!.managementUrl}/metrics`)).text();
    expect(metrics).toMatch(/^cleave_shed_total\{where="bus"\} [1-9]/m);
  });
});
