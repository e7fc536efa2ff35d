import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBank, type RunningBank } from '../support/cleave-http';
import { eventually } from '../http/customers';

/**
 * Past its event-loop delay bound the HTTP API refuses at once, in Monzo's shape with Retry-After and the
 * request's id, rather than queue requests to their deadline. A bound of 1 ms makes any burst cross it.
 */
describe('HTTP load shedding', () => {
  let bank: RunningBank;
  beforeAll(async () => {
    bank = await startBank('monolith', 'sqlite', { CLEAVE_HTTP_MAX_EVENT_LOOP_DELAY_MS: '1' });
  }, 60_000);
  afterAll(async () => bank?.stop());

  it('answers 503 overloaded with Retry-After while the event loop lags, and keeps its in-flight count true', async () => {
    const burst = () =>
      Promise.all(
        Array.from({ length: 300 }, async () => {
          const reply = await fetch(`${bank.url}/docs-json`);
          return {
            status: reply.status,
            retryAfter: reply.headers.get('retry-after'),
            requestId: reply.headers.get('x-request-id'),
            body: await reply.text(),
          };
        }),
      );
    const replies = await eventually(burst, (rs) => rs.some((r) => r.status === 503), 30_000);
    const shed = replies.find((r) => r.status === 503)!;
    expect(JSON.parse(shed.body)).toEqual({ code: 'service_unavailable.overloaded', message: expect.any(String), retry_after: 1 });
    expect(shed.retryAfter).toBe('1');
    expect(shed.requestId).toMatch(/^req_[0-9a-f]{32}$/);

    const management = bank.processes[0]!.readyMessage!.managementUrl!;
    const metrics = await eventually(
      async () => (await fetch(`${management}/metrics`)).text(),
      (text) => /^cleave_http_in_flight 0$/m.test(text),
    );
    expect(metrics).toMatch(/^cleave_shed_total\{where="http"\} [1-9]/m);
  });
});
