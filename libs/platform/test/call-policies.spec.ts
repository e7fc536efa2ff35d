import { PlatformErrors } from '@cleave/contracts';
import { describe, expect, it } from 'vitest';
import { answeredByCallee, CallPolicies, type CallShape } from '../src/bus/call-policies';
import { CleaveError } from '../src/errors/cleave-error';
import { Metrics } from '../src/observability/metrics';

const settings = { breakerFailures: 3, breakerHalfOpenMs: 60_000, maxOutstanding: 2, retries: 2 };
const policies = (overrides: Partial<typeof settings> = {}) =>
  new CallPolicies({ ...settings, ...overrides }, new Metrics({ version: 't', services: [], instance: 't' }));
const shape = (overrides: Partial<CallShape> = {}): CallShape => ({
  pattern: 'ledger.get-balance',
  context: 'ledger',
  kind: 'query',
  idempotencyKey: undefined,
  deadline: Date.now() + 5_000,
  ...overrides,
});

/** A destination that fails with the given errors in turn, then answers 'ok'; counts the calls it got. */
function destination(...failures: CleaveError[]) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    send: async () => {
      const failure = failures[calls++];
      if (failure) throw failure;
      return 'ok';
    },
  };
}

const reason = (promise: Promise<unknown>) =>
  promise.then(
    () => 'answered',
    (e: CleaveError) => e.reason ?? e.code,
  );

describe('calls to another process', () => {
  it('repeat a query that timed out, within the retries allowed', async () => {
    const ledger = destination(CleaveError.timeout('slow'), CleaveError.timeout('slow'));
    expect(await policies().call(shape(), ledger.send)).toBe('ok');
    expect(ledger.calls).toBe(3);
  });

  it('never repeat a command without an idempotency key that may have run; do repeat one that has a key', async () => {
    const once = destination(CleaveError.timeout('slow'));
    expect(await reason(policies().call(shape({ kind: 'command' }), once.send))).toBe('timeout');
    expect(once.calls).toBe(1);
    const keyed = destination(CleaveError.timeout('slow'));
    expect(await policies().call(shape({ kind: 'command', idempotencyKey: 'k1' }), keyed.send)).toBe('ok');
    expect(keyed.calls).toBe(2);
  });

  it('fail at once, without retrying, when nobody is there to answer: a retry would only spend the budget', async () => {
    const ledger = destination(CleaveError.of(PlatformErrors.noResponders, 'nobody there'));
    expect(await reason(policies().call(shape(), ledger.send))).toBe('no_responders');
    expect(ledger.calls).toBe(1);
  });

  it('do not repeat a request the callee refused as wrong, nor retry past the deadline', async () => {
    const wrong = destination(CleaveError.badRequest('no'));
    expect(await reason(policies().call(shape(), wrong.send))).toBe('bad_request');
    expect(wrong.calls).toBe(1);
    const late = destination(CleaveError.timeout('slow'));
    expect(await reason(policies().call(shape({ deadline: Date.now() + 10 }), late.send))).toBe('timeout');
    expect(late.calls).toBe(1);
  });

  it('refuse the other calls at once while the circuit is half-open, rather than hold them behind its probe', async () => {
    // Probed at the first call after opening.
    const guard = policies({ retries: 0, breakerHalfOpenMs: 0 });
    const failing = destination(...Array.from({ length: 3 }, () => CleaveError.timeout('slow')));
    for (let i = 0; i < 3; i++) expect(await reason(guard.call(shape(), failing.send))).toBe('timeout');
    let answerProbe!: (value: string) => void;
    const probe = guard.call(shape(), () => new Promise<string>((resolve) => (answerProbe = resolve)));
    let waited = 0;
    const other = guard.call(shape({ deadline: Date.now() + 200 }), async () => {
      waited++;
      return 'ok';
    });
    // Held behind the probe, the other call would settle only once the probe does.
    const outcome = await Promise.race([reason(other), probe.then(() => 'the probe came back first')]);
    answerProbe('ok');
    expect([outcome, waited]).toEqual(['circuit_open', 0]);
    expect(await probe).toBe('ok');
    expect(await guard.call(shape(), async () => 'ok')).toBe('ok');
  });

  it('open the circuit after consecutive failures, then refuse at once without calling', async () => {
    const guard = policies({ retries: 0 });
    const ledger = destination(...Array.from({ length: 10 }, () => CleaveError.timeout('slow')));
    for (let i = 0; i < 3; i++) expect(await reason(guard.call(shape(), ledger.send))).toBe('timeout');
    expect(await reason(guard.call(shape(), ledger.send))).toBe('circuit_open');
    expect(ledger.calls).toBe(3);
    expect(guard.openCircuits()).toEqual(['ledger']);
    // Another destination is not affected.
    expect(await guard.call(shape({ context: 'cards', pattern: 'cards.get-card' }), destination().send)).toBe('ok');
  });

  it('never blame a destination for timing out a call sent with almost no budget', async () => {
    const guard = policies({ retries: 0 });
    const ledger = destination(...Array.from({ length: 8 }, () => CleaveError.timeout('no time')));
    for (let i = 0; i < 8; i++) expect(await reason(guard.call(shape({ deadline: Date.now() + 5 }), ledger.send))).toBe('timeout');
    expect(guard.openCircuits()).toEqual([]);
  });

  it("count a callee's answer against it only when it speaks of itself (it shed the request)", async () => {
    const guard = policies({ retries: 0 });
    const relayed = destination(...Array.from({ length: 5 }, () => answeredByCallee(CleaveError.timeout('the ledger behind me was slow'))));
    for (let i = 0; i < 5; i++) expect(await reason(guard.call(shape({ context: 'accounts' }), relayed.send))).toBe('timeout');
    expect(guard.openCircuits()).toEqual([]);
    const shedding = destination(...Array.from({ length: 3 }, () => answeredByCallee(CleaveError.of(PlatformErrors.overloaded, 'busy'))));
    for (let i = 0; i < 3; i++) await reason(guard.call(shape({ context: 'feed', kind: 'command' }), shedding.send));
    expect(guard.openCircuits()).toEqual(['feed']);
  });

  it('not blame a destination that answered other calls while these timed out (a queue on one hot account)', async () => {
    const guard = policies({ breakerFailures: 3, maxOutstanding: 100, retries: 0 });
    let answerOthers!: () => void;
    const othersAnswered = new Promise<void>((resolve) => (answerOthers = resolve));
    const queued = Array.from({ length: 5 }, () =>
      guard.call(shape({ kind: 'command' }), async () => {
        await othersAnswered;
        throw CleaveError.timeout('waited on a row lock');
      }),
    );
    expect(await guard.call(shape(), async () => 'ok')).toBe('ok');
    answerOthers();
    expect(await Promise.all(queued.map(reason))).toEqual(['timeout', 'timeout', 'timeout', 'timeout', 'timeout']);
    expect(guard.openCircuits()).toEqual([]);
    // Silence, though, is the destination's: the same timeouts with nothing answered in between open it.
    const silent = Array.from({ length: 3 }, () =>
      guard.call(shape({ kind: 'command' }), async () => Promise.reject(CleaveError.timeout('no answer'))),
    );
    await Promise.all(silent.map(reason));
    expect(guard.openCircuits()).toEqual(['ledger']);
  });

  it('bound the calls in flight to one destination', async () => {
    const guard = policies();
    let release!: () => void;
    const held = new Promise<string>((resolve) => (release = () => resolve('ok')));
    const first = guard.call(shape(), () => held);
    const second = guard.call(shape(), () => held);
    expect(await reason(guard.call(shape(), async () => 'ok'))).toBe('bulkhead_full');
    release();
    expect(await Promise.all([first, second])).toEqual(['ok', 'ok']);
    expect(await guard.call(shape(), async () => 'ok')).toBe('ok');
  });

  it('spend at most a share of the calls on retries', async () => {
    const guard = policies({ breakerFailures: 1_000, maxOutstanding: 100 });
    let sent = 0;
    const alwaysSlow = async () => {
      sent++;
      throw CleaveError.timeout('slow');
    };
    await Promise.all(Array.from({ length: 50 }, () => reason(guard.call(shape(), alwaysSlow))));
    // 50 first tries, and retries capped at the floor of 10 per second (a tenth of 50 calls is less), in at
    // most two seconds' windows should the clock pass a second meanwhile; unbudgeted, there would be 100.
    expect(sent).toBeLessThanOrEqual(50 + 2 * 10);
    expect(sent).toBeGreaterThan(50);
  });
});
