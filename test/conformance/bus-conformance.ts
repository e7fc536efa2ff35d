import { connect, headers as natsHeaders } from '@nats-io/transport-node';
import { Svcm } from '@nats-io/services';
import { ErrorCodes, type ErrorCode } from '@cleave/contracts';
import { CleaveError, requestSubject, rootContext, runWithContext, type Principal } from '@cleave/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receipt } from '../fixtures/fixture.contracts';
import { startPlacement, type PlacementName, type RunningPlacement } from '../support/placements';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function failure(promise: Promise<unknown>): Promise<CleaveError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CleaveError);
    return error as CleaveError;
  }
  throw new Error('expected the call to fail');
}

async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await probe();
      if (accept(last)) return last;
    } catch (error) {
      lastError = error;
    }
    await sleep(100);
  }
  throw new Error(`condition not met in ${timeoutMs} ms; last value ${JSON.stringify(last)}; last error ${String(lastError)}`);
}

let markers = 0;
const marker = () => `m-${process.pid}-${++markers}`;

const alice: Principal = {
  kind: 'user',
  id: 'user_00000000000000000001',
  clientId: 'oauth2client_0000000000001',
  scopes: ['accounts:read'],
};

/**
 * The bus's contract, one case list run unchanged under every placement. Cases that need a NATS hop
 * (replicas, no responders, the broker restarting, stock NATS tooling) run where there is one.
 */
export function busConformanceSuite(name: PlacementName): void {
  describe(`the bus, ${name}`, () => {
    let p: RunningPlacement;
    const receipts = async (kind: Receipt['kind'], key: string) =>
      (await p.bus.send('relay.receipts', {})).filter((r) => r.kind === kind && r.key === key);

    beforeAll(async () => {
      p = await startPlacement(name);
    });
    afterAll(async () => {
      await p?.stop();
    });

    it('answers a request with its reply', async () => {
      const reply = await p.bus.send('probe.echo', { text: 'hello', n: 7 });
      expect(reply).toMatchObject({ text: 'hello', n: 7 });
      expect(typeof reply.instance).toBe('string');
    });

    it.each(ErrorCodes.map((code) => [code]))('carries a %s error with its code, message, reason and details', async (code: ErrorCode) => {
      const error = await failure(p.bus.send('probe.fail', { code, message: `failed with ${code}` }));
      expect(error.code).toBe(code);
      expect(error.message).toBe(`failed with ${code}`);
      expect(error.reason).toBe('on_purpose');
      expect(error.details).toEqual({ asked: code });
    });

    it('turns an unexpected exception into internal without leaking its message', async () => {
      const error = await failure(p.bus.send('probe.crash', { secret: 'hunter2' }));
      expect(error.code).toBe('internal');
      expect(JSON.stringify(error.toEnvelope())).not.toContain('hunter2');
    });

    it('rejects an invalid request as bad_request naming each field and rule, nested ones by path', async () => {
      const error = await failure(
        p.bus.send('probe.validate', { amount: 1.5, currency: 'USD', merchant: { name: 'Brightbird', mcc: 'coffee' } }),
      );
      expect(error.code).toBe('bad_request');
      const fields = error.details?.fields?.map((f) => `${f.field}:${f.rule}`);
      expect(fields).toEqual(expect.arrayContaining(['amount:isInt', 'currency:isIn', 'merchant.mcc:matches']));
    });

    it('reports a missing field as missing_param', async () => {
      const error = await failure(p.bus.send('probe.validate', { amount: 5, currency: 'GBP' } as never));
      expect(error.code).toBe('bad_request');
      expect(error.reason).toBe('missing_param');
      expect(error.details?.fields?.map((f) => f.field)).toEqual(['merchant']);
    });

    it('rejects unknown fields, at the top level and nested', async () => {
      const error = await failure(
        p.bus.send('probe.validate', { amount: 5, currency: 'GBP', merchant: { name: 'B', mcc: '5814', x: 1 }, admin: true } as never),
      );
      expect(error.code).toBe('bad_request');
      expect(error.details?.fields?.map((f) => `${f.field}:${f.rule}`).sort()).toEqual([
        'admin:whitelistValidation',
        'merchant.x:whitelistValidation',
      ]);
    });

    it('gives the callee its own copy of the request and the caller its own copy of the reply', async () => {
      const request = { items: ['from-caller'] };
      const reply = await p.bus.send('relay.mutate', request);
      expect(request).toEqual({ items: ['from-caller'] });
      expect(reply.items).toEqual(['from-caller', 'callee-touched-request']);
      reply.items.push('caller-touched-reply');
      const stashed = await p.bus.send('relay.read-stash', { token: reply.token });
      expect(stashed?.items).toEqual(['from-caller', 'callee-touched-request']);
    });

    it('delivers values as JSON carries them: dates as ISO strings, undefined fields dropped', async () => {
      const reply = await p.bus.send('probe.echo', { text: new Date(0) as unknown as string, n: undefined });
      expect(reply.text).toBe('1970-01-01T00:00:00.000Z');
      expect(typeof reply.at).toBe('string');
      expect(Number.isNaN(Date.parse(reply.at))).toBe(false);
      expect('n' in reply).toBe(false);
    });

    it('never lets a call whose deadline has passed reach its handler', async () => {
      const reached = marker();
      await p.bus.send('probe.touch', { marker: reached });
      expect(await receipts('touch', reached)).toHaveLength(1);

      const late = marker();
      const expired = rootContext({ deadline: Date.now() - 1 }, 5_000);
      const error = await failure(runWithContext(expired, () => p.bus.send('probe.touch', { marker: late })));
      expect(error.code).toBe('timeout');
      await sleep(300);
      expect(await receipts('touch', late)).toHaveLength(0);
    });

    it('carries the deadline downstream: a hop that starts after it has passed is never made', async () => {
      const late = marker();
      const error = await failure(p.bus.send('relay.touch-later', { marker: late, delayMs: 400 }, { timeoutMs: 150 }));
      expect(error.code).toBe('timeout');
      await sleep(800);
      expect(await receipts('touch', late)).toHaveLength(0);
    });

    it('stops waiting for a slow handler at the deadline', async () => {
      const started = Date.now();
      const error = await failure(p.bus.send('probe.slow', { ms: 3_000 }, { timeoutMs: 250 }));
      expect(error.code).toBe('timeout');
      expect(Date.now() - started).toBeLessThan(2_000);
    });

    it('carries trace id, principal, request id and idempotency key unchanged two hops down', async () => {
      const root = rootContext(
        { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', principal: alice, idempotencyKey: 'key-1' },
        5_000,
      );
      const reply = await runWithContext(root, () => p.bus.send('relay.forward', {}));
      for (const hop of [reply.relay, reply.probe]) {
        expect(hop.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
        expect(hop.principal).toEqual(alice);
        expect(hop.requestId).toBe(root.requestId);
        expect(hop.idempotencyKey).toBe('key-1');
      }
      expect(new Set([root.spanId, reply.relay.spanId, reply.probe.spanId]).size).toBe(3);
    });

    it('answers 200 concurrent calls, each with its own reply', async () => {
      const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => p.bus.send('probe.echo', { text: `call-${i}`, n: i })));
      replies.forEach((reply, i) => expect(reply).toMatchObject({ text: `call-${i}`, n: i }));
    });

    it('delivers an event once to each subscribing context', async () => {
      const n = Math.floor(Math.random() * 1e9);
      await p.bus.emit('probe.pinged.v1', { n });
      const seen = await eventually(
        () => receipts('event', String(n)),
        (rs) => rs.some((r) => r.context === 'probe') && rs.some((r) => r.context === 'relay'),
      );
      await sleep(300);
      const after = await receipts('event', String(n));
      expect(after.filter((r) => r.context === 'probe')).toHaveLength(1);
      expect(after.filter((r) => r.context === 'relay')).toHaveLength(1);
      expect(seen.length).toBeLessThanOrEqual(2);
    });

    if (name === 'in-process') return;

    it('shares requests between the replicas of a context through its queue group', async () => {
      const replies = await Promise.all(Array.from({ length: 60 }, () => p.bus.send('probe.whoami', {})));
      expect(new Set(replies.map((r) => r.instance))).toEqual(new Set(['probe-1', 'probe-2']));
    });

    it('answers unavailable at once when no instance of a context runs', async () => {
      const started = Date.now();
      const error = await failure(p.bus.send('ghost.anything', {}, { timeoutMs: 10_000 }));
      expect(error.code).toBe('unavailable');
      expect(Date.now() - started).toBeLessThan(2_000);
    });

    it('answers timeout, without running the handler, to a message that arrives with no budget left', async () => {
      const nc = await connect({ servers: p.nats!.url });
      try {
        const late = marker();
        const h = natsHeaders();
        h.set('cleave-timeout-ms', '0');
        const msg = await nc.request(requestSubject(p.prefix, 'probe.touch'), JSON.stringify({ marker: late }), {
          timeout: 5_000,
          headers: h,
        });
        expect(msg.headers?.get('Nats-Service-Error-Code')).toBe('504');
        expect(msg.json()).toMatchObject({ code: 'timeout' });
        await sleep(200);
        expect(await receipts('touch', late)).toHaveLength(0);
      } finally {
        await nc.close();
      }
    });

    it('answers requests from stock NATS tools, and is discoverable through $SRV', async () => {
      const nc = await connect({ servers: p.nats!.url });
      try {
        const raw = await nc.request(requestSubject(p.prefix, 'probe.echo'), JSON.stringify({ text: 'from nats req' }), { timeout: 5_000 });
        expect(raw.json()).toMatchObject({ text: 'from nats req' });

        // @nats-io/services bundles its own copy of nats-core; the connection is the same at run time.
        const client = new Svcm(nc as never).client();
        const pings = [];
        for await (const ping of await client.ping('probe')) pings.push(ping);
        expect(pings.filter((s) => s.metadata?.prefix === p.prefix)).toHaveLength(p.probeReplicas);

        const infos = [];
        for await (const info of await client.info('probe')) infos.push(info);
        const mine = infos.find((i) => i.metadata?.prefix === p.prefix)!;
        expect(mine.endpoints.map((e) => e.subject)).toContain(requestSubject(p.prefix, 'probe.echo'));
        expect(mine.endpoints.every((e) => e.queue_group === 'probe')).toBe(true);

        await failure(p.bus.send('probe.fail', { code: 'conflict', message: 'counted' }));
        const stats = [];
        for await (const s of await client.stats('probe')) stats.push(s);
        const mineStats = stats.filter((s) => s.metadata?.prefix === p.prefix).flatMap((s) => s.endpoints ?? []);
        const echo = mineStats.filter((e) => e.name === 'echo');
        expect(echo.reduce((sum, e) => sum + e.num_requests, 0)).toBeGreaterThan(0);
        const fail = mineStats.filter((e) => e.name === 'fail');
        expect(fail.reduce((sum, e) => sum + e.num_errors, 0)).toBeGreaterThan(0);
      } finally {
        await nc.close();
      }
    });

    it('recovers when NATS stops and restarts mid-run, without restarting any process', async () => {
      const pids = p.processes.map((proc) => proc.pid);
      await p.bus.send('probe.echo', { text: 'before' });
      await p.nats!.stop();
      const during = await failure(p.bus.send('probe.echo', { text: 'during' }, { timeoutMs: 3_000 }));
      expect(['unavailable', 'timeout']).toContain(during.code);
      await p.nats!.start();
      await eventually(
        () => p.bus.send('relay.forward', {}, { timeoutMs: 1_000 }),
        () => true,
        20_000,
      );
      const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => p.bus.send('probe.echo', { text: `after-${i}` })));
      expect(replies.map((r) => r.text)).toEqual(Array.from({ length: 40 }, (_, i) => `after-${i}`));
      expect(p.processes.map((proc) => proc.pid)).toEqual(pids);
      expect(p.processes.every((proc) => proc.running)).toBe(true);
    });

    it('drains on SIGTERM: a stopping replica finishes what it holds, and the other takes new work', async () => {
      const probes = p.processes.filter((proc) => proc.spec.label.startsWith('probe'));
      const slow = Array.from({ length: 8 }, () => p.bus.send('probe.slow', { ms: 1_000 }, { timeoutMs: 10_000 }));
      await sleep(200);
      const stopped = probes[0]!.stop();
      const replies = await Promise.all(slow);
      expect(replies.every((r) => r.slept === 1_000)).toBe(true);
      expect(await stopped).toBe(0);
      const after = await Promise.all(Array.from({ length: 10 }, () => p.bus.send('probe.whoami', {})));
      expect(new Set(after.map((r) => r.instance))).toEqual(new Set([probes[1]!.spec.label]));
    });
  });
}
