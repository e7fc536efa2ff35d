import { randomBytes } from 'node:crypto';

/** What the seeding made: customers with a funded account and a card each, and cards with no money. */
export interface Seed {
  readonly customers: ReadonlyArray<{ readonly token: string; readonly account: string; readonly cardToken: string }>;
  /** Cards on empty accounts: authorising on them is declined for insufficient funds. */
  readonly emptyCards: readonly string[];
}

/** `auth`: card authorisations only (the floor can serve it). `mix`: the card issuer's day. */
export type Workload = 'auth' | 'mix';

export type RequestKind = 'authorisation' | 'decline' | 'presentment' | 'reversal' | 'balance' | 'transactions' | 'transfer';

/** Share of each kind in the mix, in percent. Authorisations dominate, as at a card issuer. */
export const MIX: ReadonlyArray<readonly [RequestKind, number]> = [
  ['authorisation', 52],
  ['decline', 8],
  ['presentment', 10],
  ['reversal', 4],
  ['balance', 12],
  ['transactions', 8],
  ['transfer', 6],
];
/** In the `auth` workload, this share of authorisations is on an empty card (declined). */
export const AUTH_DECLINE_SHARE = 0.1;

export const NETWORK_AUTH = 'Bearer cleave-development-network-secret';
const MERCHANTS = [
  { name: 'Brightbird Espresso', mcc: '5814' },
  { name: 'Corner Grocer', mcc: '5411' },
  { name: 'Tube Fares', mcc: '4111' },
  { name: 'Book Nook', mcc: '5942' },
];

export interface PlannedRequest {
  readonly kind: RequestKind;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  /** For authorisations: its network id, to present or reverse it later once approved. */
  readonly networkTransactionId?: string;
}

const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;
const uid = () => randomBytes(9).toString('base64url');

/** Makes the next request of a workload; remembers approved authorisations to clear or reverse them. */
export class RequestPlanner {
  private readonly approved: Array<{ ntx: string; amount: number }> = [];
  private readonly cumulative: Array<readonly [RequestKind, number]>;

  constructor(
    private readonly seed: Seed,
    private readonly workload: Workload,
  ) {
    let sum = 0;
    this.cumulative = MIX.map(([kind, share]) => [kind, (sum += share)] as const);
  }

  next(): PlannedRequest {
    if (this.workload === 'auth') return this.authorisation(Math.random() < AUTH_DECLINE_SHARE);
    const roll = Math.random() * 100;
    let kind = this.cumulative.find(([, upTo]) => roll < upTo)![0];
    if ((kind === 'presentment' || kind === 'reversal') && this.approved.length === 0) kind = 'authorisation';
    switch (kind) {
      case 'authorisation':
        return this.authorisation(false);
      case 'decline':
        return this.authorisation(true);
      case 'presentment':
      case 'reversal': {
        const { ntx, amount } = this.approved.splice(Math.floor(Math.random() * this.approved.length), 1)[0]!;
        const body =
          kind === 'presentment'
            ? { presentment_id: `pres-${uid()}`, network_transaction_id: ntx, amount, currency: 'GBP' }
            : { reversal_id: `rev-${uid()}`, network_transaction_id: ntx };
        return { kind, method: 'POST', path: `/network/${kind}s`, headers: json(NETWORK_AUTH), body: JSON.stringify(body) };
      }
      case 'balance': {
        const c = pick(this.seed.customers);
        return { kind, method: 'GET', path: `/balance?account_id=${c.account}`, headers: { authorization: `Bearer ${c.token}` } };
      }
      case 'transactions': {
        const c = pick(this.seed.customers);
        return {
          kind,
          method: 'GET',
          path: `/transactions?account_id=${c.account}&limit=20`,
          headers: { authorization: `Bearer ${c.token}` },
        };
      }
      case 'transfer': {
        const from = pick(this.seed.customers);
        let to = pick(this.seed.customers);
        while (to === from && this.seed.customers.length > 1) to = pick(this.seed.customers);
        const body = {
          source_account_id: from.account,
          destination_account_id: to.account,
          amount: 100 + Math.floor(Math.random() * 900),
          description: 'Split the bill',
        };
        return {
          kind,
          method: 'POST',
          path: '/transfers',
          headers: { ...json(`Bearer ${from.token}`), 'idempotency-key': `bench-${uid()}` },
          body: JSON.stringify(body),
        };
      }
    }
  }

  /** Feeds back an answer: approved authorisations become candidates for clearing or reversal. */
  answered(request: PlannedRequest, status: number, body: string): 'ok' | 'declined' | 'error' {
    if (status < 200 || status >= 300) return 'error';
    if (request.kind !== 'authorisation' && request.kind !== 'decline') return 'ok';
    const approved = body.includes('"approved":true');
    if (approved && this.workload === 'mix' && this.approved.length < 10_000) {
      this.approved.push({ ntx: request.networkTransactionId!, amount: Number(/"amount":(\d+)/.exec(request.body!)![1]) });
    }
    return approved ? 'ok' : 'declined';
  }

  private authorisation(onEmptyCard: boolean): PlannedRequest {
    const cardToken = onEmptyCard && this.seed.emptyCards.length > 0 ? pick(this.seed.emptyCards) : pick(this.seed.customers).cardToken;
    const ntx = `ntx-${uid()}`;
    const body = {
      card_token: cardToken,
      amount: 100 + Math.floor(Math.random() * 4_900),
      currency: 'GBP',
      network_transaction_id: ntx,
      merchant: pick(MERCHANTS),
    };
    return {
      kind: onEmptyCard ? 'decline' : 'authorisation',
      method: 'POST',
      path: '/network/authorisations',
      headers: json(NETWORK_AUTH),
      body: JSON.stringify(body),
      networkTransactionId: ntx,
    };
  }
}

const json = (authorization: string) => ({ authorization, 'content-type': 'application/json' });
