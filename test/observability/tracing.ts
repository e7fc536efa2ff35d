import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, startBank, type Layout, type RunningBank } from '../support/cleave-http';
import { OtlpReceiver, SpanKinds, type ReceivedSpan } from '../support/otlp-receiver';
import { eventually, fundedCard, NETWORK_SECRET } from '../http/customers';

const BRIGHTBIRD = { name: 'Brightbird Espresso', mcc: '5814', city: 'London', country: 'GB' };

/** A span a card authorisation's trace must hold: who made it, of what kind, named what. */
interface Expected {
  readonly context: string;
  readonly kind: number;
  readonly name: string | RegExp;
}

const AUTHORISATION_SPANS: readonly Expected[] = [
  { context: 'gateway', kind: SpanKinds.server, name: 'POST /network/authorisations' },
  { context: 'gateway', kind: SpanKinds.client, name: 'cards.authorise' },
  { context: 'cards', kind: SpanKinds.server, name: 'cards.authorise' },
  { context: 'cards', kind: SpanKinds.client, name: 'ledger.place-hold' },
  { context: 'ledger', kind: SpanKinds.server, name: 'ledger.place-hold' },
  { context: 'ledger', kind: SpanKinds.internal, name: 'ledger transaction' },
  { context: 'ledger', kind: SpanKinds.producer, name: 'publish ledger.transaction-created.v1' },
  { context: 'feed', kind: SpanKinds.consumer, name: 'process ledger.transaction-created.v1' },
  { context: 'webhooks', kind: SpanKinds.consumer, name: 'process ledger.transaction-created.v1' },
  { context: 'feed', kind: SpanKinds.producer, name: 'publish feed.notification-created.v1' },
  { context: 'gateway', kind: SpanKinds.consumer, name: 'process feed.notification-created.v1' },
];

/**
 * One card authorisation is one trace, whatever the placement: every process it touches exports its spans
 * over OTLP, under the trace id the card network's traceparent named, in one tree rooted at the HTTP span.
 */
export function tracingSuite(layout: Layout): void {
  describe(`traces, ${layout}`, () => {
    let receiver: OtlpReceiver;
    let bank: RunningBank;
    let api: Api;

    beforeAll(async () => {
      receiver = await OtlpReceiver.start();
      bank = await startBank(layout, 'sqlite', {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '100',
      });
      api = new Api(bank.url);
    }, 120_000);
    afterAll(async () => {
      await bank?.stop();
      await receiver?.stop();
    });

    const serviceOf = (context: string): string | undefined => (layout === 'split' ? `cleave-${context}` : undefined);
    const matches = (s: ReceivedSpan, e: Expected) =>
      s.kind === e.kind &&
      (typeof e.name === 'string' ? s.name === e.name : e.name.test(s.name)) &&
      (serviceOf(e.context) === undefined || s.service === serviceOf(e.context));
    const has = (spans: ReceivedSpan[], e: Expected) => spans.some((s) => matches(s, e));
    /** A card payment the network sends in its own trace, as the child of its span `span`. */
    const authoriseInTrace = (cardToken: string, amount: number, traceId: string, span: string) =>
      api.post(
        '/network/authorisations',
        {
          card_token: cardToken,
          amount,
          currency: 'GBP',
          merchant: BRIGHTBIRD,
          network_transaction_id: `trace-${randomBytes(6).toString('hex')}`,
        },
        { token: NETWORK_SECRET, json: true, headers: { traceparent: `00-${traceId}-${span}-01` } },
      );

    it('follows a card authorisation from the gateway through cards and ledger to feed, webhooks and back', async () => {
      const f = await fundedCard(api, 10_000);
      const traceId = randomBytes(16).toString('hex');
      const networkSpan = randomBytes(8).toString('hex');
      const decision = await authoriseInTrace(f.cardToken, 1_915, traceId, networkSpan);
      expect(decision.body.approved).toBe(true);

      // Spans arrive from each process in its own time: wait for every expected one, and for every parent.
      const spans = await eventually(
        async () => receiver.trace(traceId),
        (found) => AUTHORISATION_SPANS.every((e) => has(found, e)) && orphans(found, networkSpan).length === 0,
        20_000,
      );
      const missing = AUTHORISATION_SPANS.filter((e) => !has(spans, e));
      expect(missing, describeTrace(spans)).toEqual([]);

      const roots = spans.filter((s) => s.parentSpanId === networkSpan);
      expect(roots.map((s) => `${s.kind} ${s.name}`)).toEqual([`${SpanKinds.server} POST /network/authorisations`]);
      expect(roots[0]!.attributes['http.response.status_code']).toBe(200);
      expect(orphans(spans, networkSpan), describeTrace(spans)).toEqual([]);
      expect(new Set(spans.map((s) => s.spanId)).size, 'span ids are unique').toBe(spans.length);

      // Each bus call's server span hangs from its client span, across processes in a split.
      const byId = new Map(spans.map((s) => [s.spanId, s]));
      for (const server of spans.filter((s) => s.kind === SpanKinds.server && s.name !== 'POST /network/authorisations')) {
        const parent = byId.get(server.parentSpanId)!;
        expect(parent.kind, `${server.name}'s parent`).toBe(SpanKinds.client);
        expect(parent.name).toBe(server.name);
      }
      for (const consumer of spans.filter((s) => s.kind === SpanKinds.consumer)) {
        const parent = byId.get(consumer.parentSpanId)!;
        expect(parent.kind, `${consumer.name}'s parent`).toBe(SpanKinds.producer);
        expect(consumer.name.replace('process ', '')).toBe(parent.name.replace('publish ', ''));
      }
      // Each process names itself: its contexts as service.name, its instance id as service.instance.id.
      const processes = new Set(spans.map((s) => `${s.service} ${s.instance}`));
      if (layout === 'split') {
        for (const context of ['gateway', 'cards', 'ledger', 'feed', 'webhooks'])
          expect(processes).toContain(`cleave-${context} ${context}-1`);
      } else {
        expect([...processes]).toEqual(['cleave-all all-1']);
      }
    });

    it('keeps each authorisation of a burst in its own trace, though its events may be handled in runs', async () => {
      const f = await fundedCard(api, 100_000);
      const traces = Array.from({ length: 12 }, () => ({ traceId: randomBytes(16).toString('hex'), span: randomBytes(8).toString('hex') }));
      const decisions = await Promise.all(traces.map(({ traceId, span }) => authoriseInTrace(f.cardToken, 150, traceId, span)));
      expect(decisions.map((d) => d.body.approved)).toEqual(traces.map(() => true));
      const consumers = AUTHORISATION_SPANS.filter((e) => e.kind === SpanKinds.consumer);
      for (const { traceId, span } of traces) {
        const spans = await eventually(
          async () => receiver.trace(traceId),
          (found) => consumers.every((e) => has(found, e)) && orphans(found, span).length === 0,
          20_000,
        );
        // One consumer span per context and event, under this trace's own producer span.
        for (const e of consumers) {
          const matching = spans.filter((s) => matches(s, e));
          expect(matching.length, `${e.context} ${e.name}\n${describeTrace(spans)}`).toBeGreaterThanOrEqual(1);
        }
        expect(orphans(spans, span), describeTrace(spans)).toEqual([]);
      }
    });
  });
}

/** Spans whose parent is not among the received ones (the trace's root hangs from the caller's span). */
function orphans(spans: readonly ReceivedSpan[], rootParent: string): ReceivedSpan[] {
  const ids = new Set(spans.map((s) => s.spanId));
  return spans.filter((s) => s.parentSpanId !== rootParent && !ids.has(s.parentSpanId));
}

function describeTrace(spans: readonly ReceivedSpan[]): string {
  return spans.map((s) => `${s.service} ${s.kind} ${s.name} ${s.spanId} <- ${s.parentSpanId}`).join('\n');
}
