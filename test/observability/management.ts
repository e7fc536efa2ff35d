import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, startBank, type Layout, type RunningBank } from '../support/cleave-http';
import { eventually, fundedCard, NETWORK_SECRET } from '../http/customers';

const PROMTOOL = process.env.PROMTOOL ?? 'promtool';
const BRIGHTBIRD = { name: 'Brightbird Espresso', mcc: '5814', city: 'London', country: 'GB' };

/** What `promtool check metrics` (Prometheus's own linter) says of an exposition: empty when it passes. */
export function promtoolProblems(exposition: string): string {
  const run = spawnSync(PROMTOOL, ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  if (run.error)
    throw new Error(`promtool is needed (Debian's prometheus package; .ci/run fetches it, or set PROMTOOL): ${run.error.message}`);
  return run.status === 0 ? '' : `${run.stdout}${run.stderr}`.trim() || `exit ${run.status}`;
}

/** One sample's value from a Prometheus exposition, by name and exact labels; undefined when absent. */
export function sample(exposition: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of exposition.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.keys(found).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => found[k] === v))
      return Number(match[3]);
  }
  return undefined;
}

/**
 * Every process of a placement serves /healthz, /readyz and /metrics on its management port, whether or not
 * it hosts the HTTP API; its metrics pass Prometheus's linter and count what happened where it happened.
 */
export function managementSuite(layout: Layout): void {
  describe(`the management port, ${layout}`, () => {
    let bank: RunningBank;
    let api: Api;
    /** The process hosting a context. */
    const processOf = (context: string) => bank.processes.find((p) => p.readyMessage!.services.includes(context))!;
    /** How the gateway reaches cards: handed over in its own process, or across NATS. */
    const busTransport = () => (processOf('gateway') === processOf('cards') ? 'in-process' : 'nats');

    beforeAll(async () => {
      bank = await startBank(layout, 'sqlite');
      api = new Api(bank.url);
    }, 120_000);
    afterAll(async () => bank?.stop());

    const metricsOf = async (context: string) => (await fetch(`${processOf(context).readyMessage!.managementUrl}/metrics`)).text();

    it('answers liveness and readiness in every process, with a check for each hosted context', async () => {
      for (const p of bank.processes) {
        const url = p.readyMessage?.managementUrl;
        expect(url, `${p.spec.label} reports its management URL`).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect((await fetch(`${url}/healthz`)).status).toBe(200);
        const ready = await eventually(
          async () => {
            const reply = await fetch(`${url}/readyz`);
            return { status: reply.status, body: (await reply.json()) as { status: string; details: Record<string, { status: string }> } };
          },
          (r) => r.status === 200,
          20_000,
        );
        expect(ready.body.status).toMatch(/^(ok|degraded)$/);
        const hosted = p.readyMessage!.services.filter((c) => c !== 'gateway');
        for (const context of hosted)
          expect(ready.body.details[`${context}.database`]?.status, `${p.spec.label}: ${context}.database`).toBe('up');
        if (layout !== 'monolith') expect(ready.body.details.nats?.status).toBe('up');
        if (p.readyMessage!.services.includes('gateway') && layout !== 'monolith')
          expect(ready.body.details['gateway.callees']?.status).toBe('up');
        expect((await fetch(`${url}/nowhere`)).status).toBe(404);
      }
    });

    it('serves metrics that promtool accepts, from every process', async () => {
      for (const p of bank.processes) {
        const reply = await fetch(`${p.readyMessage!.managementUrl}/metrics`);
        expect(reply.headers.get('content-type')).toMatch(/^text\/plain/);
        const body = await reply.text();
        expect(promtoolProblems(body), p.spec.label).toBe('');
        expect(body).toMatch(new RegExp(`^cleave_info\\{.*services="${p.readyMessage!.services.join(',')}"`, 'm'));
        if (layout !== 'monolith') expect(sample(body, 'cleave_nats_connected')).toBe(1);
        // State read when scraped: each outbox here, and in a split each durable consumer's lag.
        if (p.readyMessage!.services.includes('ledger'))
          expect(sample(body, 'cleave_outbox_depth', { context: 'ledger' })).toBeGreaterThanOrEqual(0);
        if (layout !== 'monolith' && p.readyMessage!.services.includes('feed'))
          expect(sample(body, 'cleave_event_consumer_pending', { context: 'feed' })).toBeGreaterThanOrEqual(0);
      }
    });

    it('counts authorisations by outcome in cards, and the calls and requests that carried them', async () => {
      const f = await fundedCard(api, 10_000);
      const authorise = (amount: number) =>
        api.post(
          '/network/authorisations',
          {
            card_token: f.cardToken,
            amount,
            currency: 'GBP',
            merchant: BRIGHTBIRD,
            network_transaction_id: `m-${randomBytes(6).toString('hex')}`,
          },
          { token: NETWORK_SECRET, json: true },
        );
      const before = await metricsOf('cards');
      const count = (body: string, name: string, labels: Record<string, string>) => sample(body, name, labels) ?? 0;
      expect((await authorise(2_500)).body.approved).toBe(true);
      const declined = await authorise(1_000_000);
      expect(declined.body.decline_reason).toBe('insufficient_funds');

      const cards = await metricsOf('cards');
      const grew = (name: string, labels: Record<string, string>) => count(cards, name, labels) - count(before, name, labels);
      expect(grew('cleave_card_authorisations_total', { outcome: 'approved', reason: 'none' })).toBe(1);
      expect(grew('cleave_card_authorisations_total', { outcome: 'declined', reason: 'insufficient_funds' })).toBe(1);
      expect(grew('cleave_card_authorised_minor_units_total', { currency: 'GBP' })).toBe(2_500);
      expect(grew('cleave_bus_server_requests_total', { pattern: 'cards.authorise', transport: busTransport(), outcome: 'ok' })).toBe(2);
      expect(count(cards, 'cleave_cards_active', {})).toBeGreaterThanOrEqual(1);

      const gateway = await metricsOf('gateway');
      expect(
        count(gateway, 'cleave_bus_client_requests_total', { pattern: 'cards.authorise', transport: busTransport(), outcome: 'ok' }),
      ).toBeGreaterThanOrEqual(2);
      expect(
        count(gateway, 'cleave_http_requests_total', { method: 'POST', route: '/network/authorisations', status: '200' }),
      ).toBeGreaterThanOrEqual(2);
      expect(
        count(gateway, 'cleave_http_request_duration_seconds_count', { method: 'POST', route: '/network/authorisations' }),
      ).toBeGreaterThanOrEqual(2);

      // The ledger's events reach the feed: its handler runs are counted where the feed is hosted.
      await eventually(
        async () =>
          count(await metricsOf('feed'), 'cleave_event_handled_total', {
            context: 'feed',
            event: 'ledger.transaction-created.v1',
            outcome: 'ok',
          }),
        (n) => n >= 1,
      );
    });
  });
}
