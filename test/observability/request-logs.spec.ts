import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, startBank, type RunningBank } from '../support/cleave-http';
import { eventually, fundedCard, NETWORK_SECRET } from '../http/customers';

const BRIGHTBIRD = { name: 'Brightbird Espresso', mcc: '5814', city: 'London', country: 'GB' };

/**
 * A request's log lines, its access line and the lines its handlers write, all name it as the client
 * does (its X-Request-Id) and carry the trace its traceparent started.
 */
describe('log lines of a request', () => {
  let bank: RunningBank;
  let api: Api;

  beforeAll(async () => {
    // A ledger too slow for the decision budget makes cards log a warning while it handles the request.
    bank = await startBank('monolith', 'sqlite', {
      LOG_LEVEL: 'info',
      // And a slow top-up, for a request out of its client's time.
      CLEAVE_FAULTS: 'ledger.place-hold=reply-delay:1500,ledger.top-up=delay:1000',
      CLEAVE_AUTHORISATION_BUDGET_MS: '800',
      CLEAVE_CARD_FOLLOWUP_MS: '300',
    });
    api = new Api(bank.url);
  }, 120_000);
  afterAll(async () => bank?.stop());

  const linesOf = (requestId: string) =>
    bank
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{') && line.includes(requestId))
      .map((line) => JSON.parse(line) as Record<string, any>);

  it('carry the client request id and the trace id in the access line and in the handlers lines', async () => {
    const f = await fundedCard(api, 10_000);
    const requestId = `pos-${randomBytes(6).toString('hex')}`;
    const traceId = randomBytes(16).toString('hex');
    const decision = await api.post(
      '/network/authorisations',
      {
        card_token: f.cardToken,
        amount: 1_915,
        currency: 'GBP',
        merchant: BRIGHTBIRD,
        network_transaction_id: `logs-${randomBytes(6).toString('hex')}`,
      },
      {
        token: NETWORK_SECRET,
        json: true,
        headers: { 'x-request-id': requestId, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
      },
    );
    expect(decision.body).toMatchObject({ approved: false, decline_reason: 'issuer_unavailable' });
    expect(decision.headers.get('x-request-id')).toBe(requestId);

    const lines = await eventually(
      async () => linesOf(requestId),
      (found) => found.some((l) => l.res !== undefined) && found.some((l) => /declined as issuer_unavailable/.test(l.msg)),
    );
    const access = lines.find((l) => l.res !== undefined)!;
    expect(access).toMatchObject({
      msg: 'request completed',
      req: { id: requestId, url: '/network/authorisations' },
      res: { statusCode: 200 },
    });
    expect(access).toMatchObject({ request_id: requestId, trace_id: traceId });
    expect(access.span_id).toMatch(/^[0-9a-f]{16}$/);

    const warning = lines.find((l) => /declined as issuer_unavailable/.test(l.msg))!;
    expect(warning).toMatchObject({ level: 40, context: 'CardNetwork', request_id: requestId, trace_id: traceId });
    // Cards' handler runs in a span of the call below the request's.
    expect(warning.span_id).toMatch(/^[0-9a-f]{16}$/);
    expect(warning.span_id).not.toBe(access.span_id);
  });

  it("logs a request out of the client's own time as a warning, not an error", async () => {
    const f = await fundedCard(api, 0);
    const requestId = `hurried-${randomBytes(6).toString('hex')}`;
    const reply = await api.post(
      `/accounts/${f.account}/top-ups`,
      { amount: 100 },
      { token: f.customer.token, idempotencyKey: requestId, headers: { 'x-request-id': requestId, 'request-timeout-ms': '200' } },
    );
    expect([reply.status, reply.body]).toEqual([504, { code: 'gateway_timeout', message: 'the request did not finish in time' }]);
    const [access] = await eventually(
      async () => linesOf(requestId).filter((l) => l.res !== undefined),
      (found) => found.length === 1,
    );
    expect(access).toMatchObject({ level: 40, msg: 'request not served', res: { statusCode: 504 } });
    // The client was told nothing of the bank's parts; the operator reading the line is told which call was late.
    expect(access.failure).toMatch(/top-up did not answer/);
  });

  it("writes the access line of a path the router refused before any route, named by the client's id", async () => {
    const requestId = `bad-url-${randomBytes(6).toString('hex')}`;
    const reply = await fetch(`${bank.url}/transactions/%E0%A4%A`, { headers: { 'x-request-id': requestId } });
    expect([reply.status, reply.headers.get('x-request-id')]).toEqual([400, requestId]);
    const [access] = await eventually(
      async () => linesOf(requestId).filter((l) => l.res !== undefined),
      (found) => found.length === 1,
    );
    expect(access).toMatchObject({ level: 30, msg: 'request completed', req: { id: requestId }, res: { statusCode: 400 } });
  });

  it('names a request without an X-Request-Id by its trace, a refused one too, in the header and the access line alike', async () => {
    const reply = await fetch(`${bank.url}/ping/whoami`);
    expect(reply.status).toBe(401);
    const requestId = reply.headers.get('x-request-id');
    expect(requestId).toMatch(/^req_[0-9a-f]{32}$/);
    const [access] = await eventually(
      async () => linesOf(requestId!).filter((l) => l.res !== undefined),
      (found) => found.length === 1,
    );
    expect(access).toMatchObject({ req: { id: requestId }, request_id: requestId, trace_id: requestId!.slice(4) });
  });
});
