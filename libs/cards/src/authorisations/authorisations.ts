import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  type AuthorisationDecision,
  type AuthoriseRequest,
  CardsErrors,
  type DeclineReason,
  LedgerErrors,
  LedgerPatterns,
} from '@cleave/contracts';
import {
  canonicalJson,
  CleaveError,
  CoalescedStatement,
  ContextDatabase,
  crashPoint,
  currentContext,
  isUniqueViolation,
  MessageBus,
  newEntityId,
  sha256Hex,
  sql,
  startOfDayIn,
  toCleaveError,
} from '@cleave/platform';
import { Card } from '../cards/card.entity';
import { CardsSettings } from '../cards.settings';
import { enrichMerchant } from '../merchants/merchants';
import { Authorisation } from './authorisation.entity';
import { byNetworkId, cardPayment } from './authorisation-store';
import { Abandonments } from './abandonments';
import { CardMetrics } from './card-metrics';
import { FollowUps } from './follow-ups';

const POLL_MS = 20;

/** What recording an authorisation came to: a retry of one `known` before, or the new one's state. */
type Recorded = 'known' | 'declined' | 'over_limit' | 'pending';
/** A card as the authorisation reads it (PostgreSQL returns bigints as strings). */
interface CardRow {
  id: string;
  accountId: string;
  currency: string;
  status: Card['status'];
  expiryMonth: number;
  expiryYear: number;
  limitPerTransaction: number | string | null;
  limitPerDay: number | string | null;
}

const CARD_COLUMNS =
  'id, account_id AS "accountId", currency, status, expiry_month AS "expiryMonth", expiry_year AS "expiryYear", limit_per_transaction AS "limitPerTransaction", limit_per_day AS "limitPerDay"';
const findCard = sql('cards.by-token', `SELECT ${CARD_COLUMNS} FROM cards WHERE token = ?`);
/** {@link findCard} for the authorisations that ask at once, on PostgreSQL ({@link CoalescedStatement}). */
const findCards = sql('cards.by-tokens', '-- PostgreSQL only', `SELECT token, ${CARD_COLUMNS} FROM cards WHERE token = ANY($1::text[])`);
const AUTHORISATION_COLUMNS =
  'id, network_transaction_id, card_id, account_id, amount, currency, merchant, status, decline_reason, hold_id, held_amount, transaction_id, spend_day, followup, created_at, decide_by, request_hash';
const recordAuthorisation = sql(
  'authorisations.record',
  `INSERT INTO card_authorisations (${AUTHORISATION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (network_transaction_id) DO NOTHING`,
);
/**
 * An authorisation recorded in one PostgreSQL statement (one round trip, committed on its own): the card's
 * day total counted first, within the daily limit ($19, if any) and only when the payment isn't refused
 * already ($18), then the record, declined for the limit when the count didn't fit. A network id already
 * recorded fails the whole statement on its unique key, the count with it. Values: {@link authorisationRow}.
 */
const recordAtOnce = sql(
  'authorisations.record-at-once',
  '-- PostgreSQL only',
  `WITH counted AS (
    INSERT INTO card_daily_spend (card_id, day, amount) SELECT $3, $13, $5::bigint WHERE $18::boolean
    ON CONFLICT (card_id, day) DO UPDATE SET amount = card_daily_spend.amount + excluded.amount
    WHERE $19::bigint IS NULL OR card_daily_spend.amount + excluded.amount <= $19::bigint
    RETURNING 1
  ), fits AS (SELECT NOT $18::boolean OR EXISTS (SELECT 1 FROM counted) AS within)
  INSERT INTO card_authorisations (${AUTHORISATION_COLUMNS})
  SELECT $1, $2, $3, $4, $5::bigint, $6, $7,
    CASE WHEN within THEN $8 ELSE 'declined' END,
    CASE WHEN within THEN $9 ELSE 'spending_limit' END,
    $10, $11::bigint, $12,
    CASE WHEN within THEN $13 ELSE NULL END,
    CASE WHEN within THEN $14 ELSE 'record_decline' END,
    $15, $16, $17
  FROM fits
  RETURNING status`,
);
const authorisationRow = (a: Authorisation): unknown[] => [
  a.id,
  a.networkTransactionId,
  a.cardId,
  a.accountId,
  a.amount,
  a.currency,
  a.merchant,
  a.status,
  a.declineReason,
  a.holdId,
  a.heldAmount,
  a.transactionId,
  a.spendDay,
  a.followup,
  a.createdAt,
  a.decideBy,
  a.requestHash,
];
const countDay = sql(
  'spend.count',
  'INSERT INTO card_daily_spend (card_id, day, amount) VALUES (?, ?, ?) ON CONFLICT (card_id, day) DO UPDATE SET amount = card_daily_spend.amount + excluded.amount',
);
const countDayWithin = sql(
  'spend.count-within',
  'INSERT INTO card_daily_spend (card_id, day, amount) VALUES (?, ?, ?) ON CONFLICT (card_id, day) DO UPDATE SET amount = card_daily_spend.amount + excluded.amount WHERE card_daily_spend.amount + excluded.amount <= ?',
);
const declineOverLimit = sql(
  'authorisations.over-limit',
  "UPDATE card_authorisations SET status = 'declined', decline_reason = 'spending_limit', spend_day = NULL, followup = CASE WHEN account_id IS NULL THEN NULL ELSE 'record_decline' END WHERE id = ?",
);
const approve = sql(
  'authorisations.approve',
  "UPDATE card_authorisations SET status = 'approved', held_amount = ?, transaction_id = ? WHERE id = ? AND status = 'pending'",
);
/**
 * {@link approve} for the authorisations whose holds came back at once, on PostgreSQL: each row is its own
 * authorisation's, so none waits on another's. Returns the ids it approved.
 */
const approveAll = sql(
  'authorisations.approve-all',
  '-- PostgreSQL only',
  `UPDATE card_authorisations AS a SET status = 'approved', held_amount = v.held, transaction_id = v.transaction_id
  FROM unnest($1::text[], $2::bigint[], $3::text[]) AS v(id, held, transaction_id)
  WHERE a.id = v.id AND a.status = 'pending'
  RETURNING a.id`,
);
interface Approval {
  readonly authorisationId: string;
  readonly amount: number;
  readonly transactionId: string;
}

/** The card's daily limit, if it has one. */
const dailyLimitOf = (card: CardRow | undefined): number | undefined =>
  card?.limitPerDay === null || card?.limitPerDay === undefined ? undefined : Number(card.limitPerDay);

/** An authorisation asked for without a deadline gets the network's usual two seconds. */
const DEFAULT_BUDGET_MS = 2_000;

/**
 * Authorisations decided within the call's deadline. The rule that governs them: no money stays held for a
 * payment the network was told was declined. Every hold's id is chosen and stored before the ledger is
 * asked, so a decision that ends in a decline (or that the network gave up on) can void it, even when the
 * answer to placing it was lost; what a decline leaves to do is recorded with it ({@link FollowUps}).
 */
@Injectable()
export class Authorisations {
  private readonly log = new Logger('CardNetwork');
  /** On PostgreSQL, where each statement is a round trip: the card lookups and approvals that ask at once share one. */
  private readonly cardsByToken?: CoalescedStatement<string, CardRow & { token: string }, CardRow | undefined>;
  private readonly approvals?: CoalescedStatement<Approval, { id: string }, number>;

  constructor(
    private readonly db: ContextDatabase,
    private readonly bus: MessageBus,
    @Inject(CardsSettings) private readonly settings: CardsSettings,
    private readonly metrics: CardMetrics,
    private readonly followUps: FollowUps,
    private readonly abandonments: Abandonments,
  ) {
    if (db.engine === 'postgres') {
      this.cardsByToken = new CoalescedStatement<string, CardRow & { token: string }, CardRow | undefined>(db, {
        statement: findCards,
        params: (tokens) => [tokens],
        answer: (rows, token) => rows.find((r) => r.token === token),
      });
      this.approvals = new CoalescedStatement<Approval, { id: string }, number>(db, {
        statement: approveAll,
        params: (approvals) => [
          approvals.map((a) => a.authorisationId),
          approvals.map((a) => a.amount),
          approvals.map((a) => a.transactionId),
        ],
        answer: (rows, approval) => (rows.some((r) => r.id === approval.authorisationId) ? 1 : 0),
      });
    }
  }

  /**
   * Decides an authorisation in four statements of cards' own (three on PostgreSQL): the card, then the
   * authorisation's record (unless its network id is known: a retry) and the card's day total, together
   * ({@link record}), then after the ledger's hold the approval, a conditional update from pending (an
   * abandonment may have won).
   */
  async authorise(request: AuthoriseRequest): Promise<AuthorisationDecision> {
    const requestHash = sha256Hex(canonicalJson(request));
    const merchant = enrichMerchant(request.merchant);
    const card = this.cardsByToken
      ? await this.cardsByToken.run(request.cardToken)
      : await this.db.get<CardRow>(undefined, findCard, [request.cardToken]);
    const day = new Date(startOfDayIn(this.settings.CLEAVE_TIMEZONE)).toISOString();
    const refusal = this.refusal(card, request);
    const auth: Authorisation = {
      id: newEntityId('auth'),
      networkTransactionId: request.networkTransactionId,
      cardId: card?.id ?? null,
      accountId: card?.accountId ?? null,
      amount: request.amount,
      currency: request.currency,
      merchant: JSON.stringify(merchant),
      status: refusal ? 'declined' : 'pending',
      declineReason: refusal ?? null,
      holdId: newEntityId('hold'),
      heldAmount: 0,
      transactionId: null,
      spendDay: refusal ? null : day,
      // A decline shows on the account's statement: that is left to do, and retried until done.
      followup: refusal && card ? 'record_decline' : null,
      createdAt: new Date().toISOString(),
      decideBy: new Date(currentContext()?.deadline ?? Date.now() + DEFAULT_BUDGET_MS).toISOString(),
      requestHash,
    };
    const recorded = this.db.engine === 'postgres' ? await this.recordAtOnce(auth, card, refusal) : await this.record(auth, card, refusal);
    // The network's retry of a payment it sent before (or raced): it gets the one decision.
    if (recorded === 'known')
      return this.awaitDecision(this.sameRequest((await byNetworkId(this.db, request.networkTransactionId))!, requestHash));
    crashPoint('cards.authorise:after-record');
    let decision: AuthorisationDecision;
    if (recorded === 'declined' || recorded === 'over_limit') {
      // Refused before it was counted, the row is `auth` as inserted; over the limit, the statement changed it: read.
      if (auth.accountId) this.followUps.soon(auth.id, recorded === 'declined' ? auth : undefined);
      decision = {
        approved: false,
        networkTransactionId: auth.networkTransactionId,
        authorisationId: auth.id,
        declineReason: refusal ?? 'spending_limit',
      };
    } else {
      decision = await this.holdAndApprove(auth, card!, request, merchant);
    }
    this.metrics.decided(decision, request);
    return decision;
  }

  /**
   * Records the authorisation and counts it in the card's day total, in one transaction: `known` when its
   * network id was recorded before (a retry), else whether it is refused already, over the daily limit
   * (declined in the same transaction, nothing counted) or pending.
   */
  private record(auth: Authorisation, card: CardRow | undefined, refusal: DeclineReason | undefined): Promise<Recorded> {
    return this.db.transaction(async (em) => {
      if ((await this.db.run(em, recordAuthorisation, authorisationRow(auth))) === 0) return 'known' as const;
      if (refusal) return 'declined' as const;
      const limit = dailyLimitOf(card);
      const counted =
        limit === undefined
          ? await this.db.run(em, countDay, [card!.id, auth.spendDay, auth.amount])
          : await this.db.run(em, countDayWithin, [card!.id, auth.spendDay, auth.amount, limit]);
      if (counted === 1) return 'pending' as const;
      // Over the daily limit: declined in the same transaction, nothing counted.
      await this.db.run(em, declineOverLimit, [auth.id]);
      return 'over_limit' as const;
    });
  }

  /** {@link record} on PostgreSQL, in one statement ({@link recordAtOnce}). */
  private async recordAtOnce(auth: Authorisation, card: CardRow | undefined, refusal: DeclineReason | undefined): Promise<Recorded> {
    try {
      const row = await this.db.get<{ status: string }>(undefined, recordAtOnce, [
        ...authorisationRow(auth),
        !refusal,
        dailyLimitOf(card) ?? null,
      ]);
      if (refusal) return 'declined';
      return row!.status === 'pending' ? 'pending' : 'over_limit';
    } catch (error) {
      if (isUniqueViolation(error, 'card_authorisations')) return 'known';
      throw error;
    }
  }

  /** Asks the ledger to hold the money, then approves unless the network gave up meanwhile. */
  private async holdAndApprove(
    auth: Authorisation,
    card: CardRow,
    request: AuthoriseRequest,
    merchant: ReturnType<typeof enrichMerchant>,
  ): Promise<AuthorisationDecision> {
    let transactionId: string;
    try {
      const hold = await this.bus.send(
        LedgerPatterns.PlaceHold,
        {
          holdId: auth.holdId,
          ...cardPayment(card.accountId, request, merchant),
          expiresInSeconds: this.settings.CLEAVE_AUTHORISATION_EXPIRY_SECONDS,
        },
        { idempotencyKey: `auth:${auth.id}` },
      );
      transactionId = hold.transactionId;
      crashPoint('cards.authorise:after-hold');
    } catch (error) {
      const e = toCleaveError(error);
      if (e.is(LedgerErrors.insufficientFunds)) return this.followUps.decline(auth, 'insufficient_funds');
      this.log.warn(`authorisation ${auth.id} declined as issuer_unavailable: ledger answered ${e.code} ${e.message}`);
      return this.followUps.decline(auth, 'issuer_unavailable', true);
    }
    // Too late to answer: the network will have given up, so approving now would hold money for nothing.
    const deadline = currentContext()?.deadline ?? Number.POSITIVE_INFINITY;
    if (deadline - Date.now() < this.settings.CLEAVE_AUTHORISATION_MARGIN_MS)
      return this.followUps.decline(auth, 'issuer_unavailable', true);
    const approved = this.approvals
      ? await this.approvals.run({ authorisationId: auth.id, amount: request.amount, transactionId })
      : await this.db.run(undefined, approve, [request.amount, transactionId, auth.id]);
    crashPoint('cards.authorise:after-approve');
    // Abandoned while the hold was being placed: the abandonment has already scheduled its void.
    if (approved !== 1)
      return {
        approved: false,
        networkTransactionId: auth.networkTransactionId,
        authorisationId: auth.id,
        declineReason: 'issuer_unavailable',
      };
    return { approved: true, networkTransactionId: auth.networkTransactionId, authorisationId: auth.id, transactionId };
  }

  /** Why a card can't pay at all, before any money is looked at. */
  private refusal(card: CardRow | undefined, request: AuthoriseRequest): DeclineReason | undefined {
    if (!card) return 'invalid_card';
    if (card.status === 'CANCELLED') return 'card_blocked';
    if (card.status === 'FROZEN') return 'card_inactive';
    const now = new Date();
    if (card.expiryYear < now.getUTCFullYear() || (card.expiryYear === now.getUTCFullYear() && card.expiryMonth < now.getUTCMonth() + 1))
      return 'card_inactive';
    // Cleave's cards spend in their account's currency only.
    if (request.currency !== card.currency) return 'invalid_card';
    if (card.limitPerTransaction !== null && request.amount > Number(card.limitPerTransaction)) return 'spending_limit';
    if (card.limitPerDay !== null && request.amount > Number(card.limitPerDay)) return 'spending_limit';
    return undefined;
  }

  /** A network id names one payment: a retry must be that payment, never another's (Stripe's rule for keys). */
  private sameRequest(known: Authorisation, requestHash: string): Authorisation {
    if (known.requestHash !== null && known.requestHash !== requestHash) {
      throw CleaveError.of(
        CardsErrors.networkTransactionIdReused,
        `network_transaction_id ${known.networkTransactionId} was used for a different authorisation (card, amount, currency or merchant)`,
      );
    }
    return known;
  }

  /**
   * A retry of a known authorisation gets its decision, once there is one (within its own deadline). One
   * still undecided when the retry's time runs out is abandoned, and the retry told what then stands: the
   * network acts on its last answer, and a first attempt approving after a "declined" held money for nothing.
   */
  private async awaitDecision(auth: Authorisation): Promise<AuthorisationDecision> {
    const deadline = (currentContext()?.deadline ?? Date.now() + 2_000) - this.settings.CLEAVE_AUTHORISATION_MARGIN_MS;
    let current: Authorisation | null = auth;
    while (current?.status === 'pending' && Date.now() < deadline) {
      await sleep(POLL_MS);
      current = await byNetworkId(this.db, auth.networkTransactionId);
    }
    if (current?.status === 'pending') {
      await this.abandonments.abandon({ networkTransactionId: auth.networkTransactionId }, true);
      current = await byNetworkId(this.db, auth.networkTransactionId);
    }
    if (!current || current.status === 'pending' || current.status === 'declined') {
      return {
        approved: false,
        networkTransactionId: auth.networkTransactionId,
        authorisationId: auth.id,
        declineReason: (current?.declineReason as DeclineReason | null) ?? 'issuer_unavailable',
      };
    }
    return {
      approved: true,
      networkTransactionId: auth.networkTransactionId,
      authorisationId: current.id,
      transactionId: current.transactionId ?? undefined,
    };
  }
}
