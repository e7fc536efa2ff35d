import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, startBank, TAP_USER, type RunningBank } from '../support/cleave-http';
import { eventually, fundedCard, NETWORK_SECRET } from '../http/customers';
import { costOfAuthorisation, countedCard, QUIET_TIMERS, startCountedBank, type CountedBank } from './statements';
import { WireTap } from './wire-tap';

/**
 * What one approved card authorisation costs, in counts rather than times so the guard never flakes: SQL
 * statements and transactions per context (the money path is cards and ledger; the total adds the event
 * consumers), and NATS messages in the split. Each budget is today's count: a change that raises one fails
 * here, and lowering one means lowering its budget with it.
 */
const SQL_BUDGET = {
  sqlite: { moneyStatements: 11, moneyTransactions: 2, totalStatements: 19, totalTransactions: 3 },
  // On PostgreSQL, where each statement is a round trip, the ledger places a hold in one statement, cards
  // records an authorisation with its day's count in one, and the feed counts a payment with the day's
  // total in one and notifies with the event in another; on SQLite, with no round trips to save, each
  // hold and record is a transaction (of five statements, and of two) and the feed's parts are apart.
  postgres: { moneyStatements: 6, moneyTransactions: 0, totalStatements: 11, totalTransactions: 1 },
};
/**
 * NATS messages of one authorisation alone: two calls (4), the ledger's event stored (publish and its
 * acknowledgement: 2), delivered to and acknowledged by feed and webhooks (4), the notification it leads to
 * stored (2). In a burst, how many events share a run depends on timing (5–7 messages per authorisation
 * on an idle machine, ~10 on a loaded one), so the burst is checked by what each part costs, which doesn't:
 * exactly 4 per authorisation for the calls, exactly 6 per run of the ledger's events and 2 per run of the
 * feed's, never more runs than events, and pulls that don't grow with the messages.
 */
const NATS_BUDGET = { alone: 12, callsPerAuthorisation: 4, perLedgerRun: 6, perFeedRun: 2 };

const MONEY_PATH = ['cards', 'ledger'];
const costs = new Map<string, Record<string, unknown>>();

describe.each(['sqlite', 'postgres'] as const)('the SQL an approved authorisation costs, monolith on %s', (storage) => {
  let bank: CountedBank;
  beforeAll(async () => {
    bank = await startCountedBank(storage);
  });
  afterAll(async () => {
    await bank?.stop();
  });

  it('stays within its statement and transaction budgets, on the money path and in all', async () => {
    const card = await countedCard(bank);
    // The first authorisation of a card pays for its day's spend row: count a later one, as most are.
    await costOfAuthorisation(bank, card);
    const cost = await costOfAuthorisation(bank, card);
    const sum = (contexts: string[], what: 'statements' | 'transactions') => contexts.reduce((n, c) => n + (cost[c]?.[what] ?? 0), 0);
    const all = Object.keys(cost);
    const counted = {
      moneyStatements: sum(MONEY_PATH, 'statements'),
      moneyTransactions: sum(MONEY_PATH, 'transactions'),
      totalStatements: sum(all, 'statements'),
      totalTransactions: sum(all, 'transactions'),
    };
    // Every consumer did its part: a cost that drops because a consumer stopped working is no gain.
    expect(all.sort()).toEqual(['cards', 'feed', 'ledger', 'webhooks']);
    for (const [name, budget] of Object.entries(SQL_BUDGET[storage])) {
      if (budget > 0) expect(counted[name as keyof typeof counted], name).toBeGreaterThan(0);
      expect(counted[name as keyof typeof counted], name).toBeLessThanOrEqual(budget);
    }
    // No storage pays for the other's shortcuts: PostgreSQL never costs more statements than SQLite.
    costs.set(storage, cost);
    const [sqlite, postgres] = [costs.get('sqlite'), costs.get('postgres')] as Array<Record<string, { statements: number }> | undefined>;
    if (sqlite && postgres)
      for (const context of all) expect(postgres[context]!.statements, context).toBeLessThanOrEqual(sqlite[context]!.statements);
  });
});

describe('the NATS messages an approved authorisation costs, split on SQLite', () => {
  let bank: RunningBank;
  let api: Api;
  let tap: WireTap;

  beforeAll(async () => {
    bank = await startBank('split', 'sqlite', { ...QUIET_TIMERS }, {}, { tap: true });
    api = new Api(bank.url);
    tap = await WireTap.open(bank.nats!.url, TAP_USER, bank.security!.passwords[TAP_USER]!);
  });
  afterAll(async () => {
    await tap?.close();
    await bank?.stop();
  });

  async function authorise(cardToken: string): Promise<string> {
    const traceId = randomBytes(16).toString('hex');
    const reply = await api.post(
      '/network/authorisations',
      {
        card_token: cardToken,
        amount: 120,
        currency: 'GBP',
        network_transaction_id: `ntx-${randomBytes(8).toString('hex')}`,
        merchant: { name: 'Counted Cafe', mcc: '5814' },
      },
      { headers: { authorization: `Bearer ${NETWORK_SECRET}`, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } },
    );
    expect(reply.body?.approved).toBe(true);
    return traceId;
  }

  /** Waits until each of these authorisations has raised its notification, and every consumer has read everything. */
  async function settled(traces: ReadonlySet<string>, from: number): Promise<void> {
    await eventually(
      async () => tap.tracesWithEvent(traces, '.evt.feed.notification-created.v1', from),
      (n) => n === traces.size,
      30_000,
    );
    await tap.drained(`${bank.security!.prefix}_EVENTS`);
  }

  it('stays within its message budget, alone and in a burst', async () => {
    const cards = await Promise.all(Array.from({ length: 16 }, () => fundedCard(api, 1_000_000)));
    const first = tap.mark();
    await settled(new Set([await authorise(cards[0]!.cardToken)]), first);

    const beforeAlone = tap.mark();
    const alone = await authorise(cards[0]!.cardToken);
    await settled(new Set([alone]), beforeAlone);
    const aloneMessages = tap.messagesOf(new Set([alone]));
    // The request reaches cards, cards the ledger, the ledger's event reaches its consumers.
    expect(aloneMessages.some((m) => m.subject.includes('.evt.'))).toBe(true);
    expect(aloneMessages.some((m) => m.subject.startsWith('$JS.ACK.'))).toBe(true);

    // A burst as the bank sees it under load: many accounts at once, so events go out and are read in runs.
    const from = tap.mark();
    const started = Date.now();
    const burst = new Set(await Promise.all(Array.from({ length: 96 }, (_, i) => authorise(cards[i % cards.length]!.cardToken))));
    await settled(burst, from);
    // The last notifications' acknowledgements may trail their publications.
    await eventually(
      async () =>
        tap.messagesOf(burst, from).filter((m) => m.subject.endsWith('.evt.feed.notification-created.v1')).length -
        tap.messagesOf(burst, from).filter((m) => /^_INBOX\.[^.]+\.feed\./.test(m.subject)).length,
      (unanswered) => unanswered === 0,
    );
    const seconds = (Date.now() - started) / 1_000;
    const messages = tap.messagesOf(burst, from);
    const pulls = tap.flowSince(from);
    // What the messages were, should a check fail.
    const kinds: Record<string, number> = {};
    for (const m of messages) {
      const kind = m.subject
        .replace(/^_INBOX\.[^.]+\.([^.]+)\..*/, 'reply to $1')
        .replace(/^\$JS\.ACK\.[^.]+\.([^.]+)\..*/, 'ack by $1')
        .replace(/^\w+\./, '');
      kinds[kind] = (kinds[kind] ?? 0) + 1;
    }
    const seen = JSON.stringify({ ...kinds, pulls, perAuthorisation: (messages.length + pulls) / burst.size });
    const count = (kind: string) => kinds[kind] ?? 0;
    expect(aloneMessages.length, aloneMessages.map((m) => m.subject).join('\n')).toBeLessThanOrEqual(NATS_BUDGET.alone);
    const calls = count('req.cards.authorise') + count('req.ledger.place-hold') + count('reply to cards') + count('reply to gateway');
    expect(calls, seen).toBe(NATS_BUDGET.callsPerAuthorisation * burst.size);
    // A run of the ledger's events: stored (publish, acknowledgement), delivered to feed and webhooks, acked by each.
    const ledgerRuns = messages.filter(
      (m) => m.subject.endsWith('.evt.ledger.transaction-created.v1') && !m.reply.startsWith('$JS.ACK.'),
    ).length;
    const ledgerMessages =
      count('evt.ledger.transaction-created.v1') + count('reply to ledger') + count('ack by feed') + count('ack by webhooks');
    expect(ledgerRuns, seen).toBeGreaterThan(0);
    expect(ledgerRuns, seen).toBeLessThanOrEqual(burst.size);
    expect(ledgerMessages, seen).toBe(NATS_BUDGET.perLedgerRun * ledgerRuns);
    // A run of the feed's notifications: stored; the gateway sees it live, with no message of its own.
    const feedRuns = count('evt.feed.notification-created.v1');
    expect(feedRuns, seen).toBeLessThanOrEqual(burst.size);
    expect(feedRuns + count('reply to feed'), seen).toBe(NATS_BUDGET.perFeedRun * feedRuns);
    // A pull asks for 64 and is renewed at half of them or when it expires (5 s): per consumer, not per delivery.
    expect(pulls, seen).toBeLessThanOrEqual(2 * (Math.ceil(ledgerRuns / 32) + 2 + Math.ceil(seconds / 5)));
    expect(messages.length, seen).toBe(calls + ledgerMessages + 2 * feedRuns);
  });
});
