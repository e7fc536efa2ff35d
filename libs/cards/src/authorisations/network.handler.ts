import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { In, IsNull, LessThan, Not } from 'typeorm';
import {
  type AbandonAuthorisationRequest,
  type AuthorisationDecision,
  type AuthoriseRequest,
  CardsErrors,
  type DeclineReason,
  LedgerErrors,
  LedgerPatterns,
  type MerchantView,
  type PresentmentResult,
  type PresentRequest,
  type RefundRequest,
  type RefundResult,
  type ReversalResult,
  type ReverseRequest,
} from '@cleave/contracts';
import {
  canonicalJson,
  CleaveError,
  ContextDatabase,
  crashPoint,
  currentContext,
  isUniqueViolation,
  MessageBus,
  newEntityId,
  rootContext,
  answeredBefore,
  claimIdempotency,
  runWithContext,
  sha256Hex,
  sql,
  startOfDayIn,
  toCleaveError,
} from '@cleave/platform';
import { Card } from '../cards/card.entity';
import { CardsSettings } from '../cards.settings';
import { enrichMerchant } from '../merchants/merchants';
import { Authorisation, type AuthorisationStatus } from './authorisation.entity';
import { CardSpend } from './card-spend.entity';
import { CardMetrics } from './card-metrics';

const LIVE: AuthorisationStatus[] = ['approved', 'presented', 'partially_reversed'];
const POLL_MS = 20;
const FOLLOWUP_TIMEOUT_MS = 10_000;
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

const findCard = sql(
  'cards.by-token',
  'SELECT id, account_id AS "accountId", currency, status, expiry_month AS "expiryMonth", expiry_year AS "expiryYear", limit_per_transaction AS "limitPerTransaction", limit_per_day AS "limitPerDay" FROM cards WHERE token = ?',
);
const recordAuthorisation = sql(
  'authorisations.record',
  'INSERT INTO card_authorisations (id, network_transaction_id, card_id, account_id, amount, currency, merchant, status, decline_reason, hold_id, held_amount, transaction_id, spend_day, followup, created_at, decide_by, request_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (network_transaction_id) DO NOTHING',
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

/** An authorisation asked for without a deadline gets the network's usual two seconds. */
const DEFAULT_BUDGET_MS = 2_000;
/** How long past its decision time a pending authorisation is left before the sweep declines it. */
const STALE_GRACE_MS = 1_000;

/**
 * The card network's side of the bank: authorisations decided within the call's deadline, presentments,
 * reversals and refunds. The rule that governs all of it: no money stays held for a payment the network
 * was told was declined. Every hold's id is chosen and stored before the ledger is asked, so a decision
 * that ends in a decline (or that the network gave up on) can void it, even when the answer to placing it
 * was lost; what a decline leaves to do is recorded with it and retried until done.
 */
@Injectable()
export class NetworkHandler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('CardNetwork');
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: ContextDatabase,
    private readonly bus: MessageBus,
    @Inject(CardsSettings) private readonly settings: CardsSettings,
    private readonly metrics: CardMetrics,
  ) {}

  /**
   * Decides an authorisation in four statements of cards' own: the card, then in one transaction the
   * authorisation's record (unless its network id is known: a retry) and the card's day total, then after
   * the ledger's hold the approval, a conditional update from pending (an abandonment may have won).
   */
  async authorise(request: AuthoriseRequest): Promise<AuthorisationDecision> {
    const requestHash = sha256Hex(canonicalJson(request));
    const merchant = enrichMerchant(request.merchant);
    const card = await this.db.get<CardRow>(undefined, findCard, [request.cardToken]);
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
    const recorded = await this.db.transaction(async (em) => {
      if ((await this.db.run(em, recordAuthorisation, authorisationRow(auth))) === 0) return 'known' as const;
      if (refusal) return 'declined' as const;
      const limit = card!.limitPerDay === null ? undefined : Number(card!.limitPerDay);
      const counted =
        limit === undefined
          ? await this.db.run(em, countDay, [card!.id, day, auth.amount])
          : await this.db.run(em, countDayWithin, [card!.id, day, auth.amount, limit]);
      if (counted === 1) return 'pending' as const;
      // Over the daily limit: declined in the same transaction, nothing counted.
      await this.db.run(em, declineOverLimit, [auth.id]);
      return 'over_limit' as const;
    });
    // The network's retry of a payment it sent before (or raced): it gets the one decision.
    if (recorded === 'known')
      return this.awaitDecision(this.sameRequest((await this.byNetworkId(request.networkTransactionId))!, requestHash));
    crashPoint('cards.authorise:after-record');
    let decision: AuthorisationDecision;
    if (recorded === 'declined' || recorded === 'over_limit') {
      if (auth.accountId) this.followUpSoon(auth.id);
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
          accountId: card.accountId,
          amount: request.amount,
          currency: request.currency,
          description: merchant.name,
          category: merchant.category,
          merchant,
          expiresInSeconds: this.settings.CLEAVE_AUTHORISATION_EXPIRY_SECONDS,
        },
        { idempotencyKey: `auth:${auth.id}` },
      );
      transactionId = hold.transactionId;
      crashPoint('cards.authorise:after-hold');
    } catch (error) {
      const e = toCleaveError(error);
      if (e.is(LedgerErrors.insufficientFunds)) return this.decline(auth, 'insufficient_funds');
      this.log.warn(`authorisation ${auth.id} declined as issuer_unavailable: ledger answered ${e.code} ${e.message}`);
      return this.decline(auth, 'issuer_unavailable', true);
    }
    // Too late to answer: the network will have given up, so approving now would hold money for nothing.
    const deadline = currentContext()?.deadline ?? Number.POSITIVE_INFINITY;
    if (deadline - Date.now() < this.settings.CLEAVE_AUTHORISATION_MARGIN_MS) return this.decline(auth, 'issuer_unavailable', true);
    const approved = await this.db.run(undefined, approve, [request.amount, transactionId, auth.id]);
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

  /** The network gave up waiting: whatever this authorisation became, it must come to nothing. */
  async abandon(request: AbandonAuthorisationRequest): Promise<void> {
    let auth = await this.byNetworkId(request.networkTransactionId);
    if (!auth) {
      // Not seen yet: a declined record now makes the original, should it still arrive, get this answer.
      const tombstone: Authorisation = {
        id: newEntityId('auth'),
        networkTransactionId: request.networkTransactionId,
        cardId: null,
        accountId: null,
        amount: 0,
        currency: 'XXX',
        merchant: '{}',
        status: 'declined',
        declineReason: 'issuer_unavailable',
        holdId: newEntityId('hold'),
        heldAmount: 0,
        transactionId: null,
        spendDay: null,
        followup: null,
        createdAt: new Date().toISOString(),
        decideBy: null,
        requestHash: null,
      };
      try {
        await this.db.transaction((em) => em.insert(Authorisation, tombstone));
        return;
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        auth = (await this.byNetworkId(request.networkTransactionId))!;
      }
    }
    const changed = await this.db.transaction(async (em) => {
      const result = await em
        .createQueryBuilder()
        .update(Authorisation)
        .set({ status: 'declined', declineReason: 'issuer_unavailable', followup: 'void_hold' })
        .where('id = :id AND status IN (:...open)', { id: auth!.id, open: ['pending', 'approved'] })
        .execute();
      if (result.affected === 1) await this.uncountSpend(em, auth!, auth!.amount);
      return result.affected === 1;
    });
    if (changed) this.followUpSoon(auth.id);
  }

  /**
   * Clearing, once per presentment id: repeats get the first result, whatever the authorisation has become
   * since (a replay must not fall through to a force post). The ledger is called before cards' own
   * transaction, never inside it, with keys derived from the presentment: a crash in between makes the
   * network's retry call it again and get the same answer, then record the result.
   */
  async present(request: PresentRequest): Promise<PresentmentResult> {
    const key = `present:${request.presentmentId}`;
    const earlier = await answeredBefore<PresentmentResult>(this.db, 'cards.present', request, key);
    if (earlier) return earlier.replay;
    const auth = request.networkTransactionId ? await this.byNetworkId(request.networkTransactionId) : null;
    const card = auth?.cardId
      ? await this.db.read((em) => em.findOneBy(Card, { id: auth.cardId! }))
      : request.cardToken
        ? await this.db.read((em) => em.findOneBy(Card, { token: request.cardToken }))
        : null;
    if (!card) throw CleaveError.notFound('no authorisation with that network_transaction_id, and no card_token to force-post to');
    const { result, settles } = await this.clear(request, auth, card);
    return this.db.transaction(async (em) => {
      const claimed = await claimIdempotency(this.db, em, 'cards.present', request, result, key);
      if (claimed) return claimed.replay;
      if (settles) await em.update(Authorisation, { id: settles.id, status: In(LIVE) }, { status: 'presented', heldAmount: 0 });
      return result;
    });
  }

  /** What the ledger makes of a presentment, and the authorisation it settles (if any). */
  private async clear(
    request: PresentRequest,
    auth: Authorisation | null,
    card: Card,
  ): Promise<{ result: PresentmentResult; settles: Authorisation | null }> {
    if (auth && LIVE.includes(auth.status) && auth.heldAmount > 0) {
      const post = (amount: number, suffix: string) =>
        this.bus.send(
          LedgerPatterns.PostHold,
          { holdId: auth.holdId, amount },
          { idempotencyKey: `present:${request.presentmentId}${suffix}` },
        );
      try {
        await post(request.amount, '');
        return {
          result: {
            presentmentId: request.presentmentId,
            status: 'posted',
            amount: request.amount,
            transactionId: auth.transactionId ?? undefined,
          },
          settles: auth,
        };
      } catch (error) {
        const e = toCleaveError(error);
        if (e.is(LedgerErrors.insufficientFunds)) {
          // More was presented than held and the account can't cover the difference: take what was held.
          await post(auth.heldAmount, ':held');
          return {
            result: {
              presentmentId: request.presentmentId,
              status: 'posted',
              amount: auth.heldAmount,
              transactionId: auth.transactionId ?? undefined,
              reason: 'insufficient_funds_for_extra',
            },
            settles: auth,
          };
        }
        if (!e.is(LedgerErrors.holdNotPending)) throw e;
        // The hold expired or was released: clearing still happens, as a force post.
      }
    }
    const merchant =
      auth && auth.merchant !== '{}'
        ? (JSON.parse(auth.merchant) as MerchantView)
        : request.merchant
          ? enrichMerchant(request.merchant)
          : undefined;
    if (!merchant) throw CleaveError.of(CardsErrors.missingParam, 'a force post needs the merchant');
    try {
      const tx = await this.bus.send(
        LedgerPatterns.PostCardPayment,
        {
          accountId: card.accountId,
          amount: request.amount,
          currency: request.currency,
          description: merchant.name,
          category: merchant.category,
          merchant,
        },
        { idempotencyKey: `present:${request.presentmentId}:force` },
      );
      return {
        result: { presentmentId: request.presentmentId, status: 'force_posted', amount: request.amount, transactionId: tx.id },
        settles: auth,
      };
    } catch (error) {
      const e = toCleaveError(error);
      if (!e.is(LedgerErrors.insufficientFunds)) throw e;
      // A customer's balance never goes below zero: the bank refuses, and the network raises a chargeback.
      this.log.warn(`force post ${request.presentmentId} refused: insufficient funds on ${card.accountId}`);
      return {
        result: { presentmentId: request.presentmentId, status: 'rejected', amount: 0, reason: 'insufficient_funds' },
        settles: null,
      };
    }
  }

  /**
   * Releases all or part of an authorisation's hold, once per reversal id. As with {@link present}, the
   * ledger is called first (keyed by the reversal) and cards' transaction follows; concurrent reversals of
   * one authorisation take turns on its lock there and each subtracts what it released from what is held.
   */
  async reverse(request: ReverseRequest): Promise<ReversalResult> {
    const key = `reverse:${request.reversalId}`;
    const earlier = await answeredBefore<ReversalResult>(this.db, 'cards.reverse', request, key);
    if (earlier) return earlier.replay;
    const auth = await this.byNetworkId(request.networkTransactionId);
    if (!auth || auth.cardId === null) throw CleaveError.notFound(`no authorisation ${request.networkTransactionId}`);
    if (auth.status !== 'approved' && auth.status !== 'partially_reversed') {
      throw CleaveError.of(CardsErrors.notReversible, `authorisation ${request.networkTransactionId} is ${auth.status}`);
    }
    const release = Math.min(request.amount ?? auth.heldAmount, auth.heldAmount);
    if (release >= auth.heldAmount) await this.bus.send(LedgerPatterns.VoidHold, { holdId: auth.holdId }, { idempotencyKey: key });
    else await this.bus.send(LedgerPatterns.ReleaseHold, { holdId: auth.holdId, amount: release }, { idempotencyKey: key });
    return this.db.transaction(async (em) => {
      await this.db.lockKeys(em, [`authorisation:${auth.id}`]);
      const current = await em.findOneByOrFail(Authorisation, { id: auth.id });
      const released = Math.min(release, current.heldAmount);
      const remaining = current.heldAmount - released;
      const status = remaining === 0 ? 'reversed' : 'partially_reversed';
      const result: ReversalResult = { reversalId: request.reversalId, status, remaining };
      const claimed = await claimIdempotency(this.db, em, 'cards.reverse', request, result, key);
      if (claimed) return claimed.replay;
      if (LIVE.includes(current.status) && current.status !== 'presented') {
        await em.update(Authorisation, { id: current.id }, { heldAmount: remaining, status });
        await this.uncountSpend(em, current, released);
      }
      return result;
    });
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    const card = await this.db.read((em) => em.findOneBy(Card, { token: request.cardToken }));
    if (!card) throw CleaveError.notFound('no such card');
    const merchant = enrichMerchant(request.merchant);
    const tx = await this.bus.send(
      LedgerPatterns.RefundCardPayment,
      {
        accountId: card.accountId,
        amount: request.amount,
        currency: request.currency,
        description: merchant.name,
        category: merchant.category,
        merchant,
      },
      { idempotencyKey: `refund:${request.networkTransactionId}` },
    );
    return { networkTransactionId: request.networkTransactionId, transactionId: tx.id };
  }

  /** Retries what declines left to do; runs on a timer in every cards replica. */
  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), this.settings.CLEAVE_CARD_FOLLOWUP_MS).unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }

  sweep(): Promise<unknown> {
    this.sweeping = this.sweeping.then(async () => {
      try {
        await this.declineStale();
        const due = await this.db.read((em) =>
          em.find(Authorisation, { where: { followup: Not(IsNull()) }, select: { id: true }, take: 50 }),
        );
        for (const { id } of due) await this.followUp(id);
      } catch (error) {
        this.log.warn(`sweep failed, will retry: ${(error as Error).message}`);
      }
    });
    return this.sweeping;
  }

  /**
   * Declines authorisations still pending past their decision time: the process deciding them died, or
   * lost its way, and the network has been told "declined" or nothing at all. Whatever hold they placed is
   * voided by the follow-up the decline records.
   */
  private async declineStale(): Promise<void> {
    const cutoff = new Date(Date.now() - STALE_GRACE_MS).toISOString();
    const stale = await this.db.read((em) =>
      em.find(Authorisation, { where: { status: 'pending', decideBy: LessThan(cutoff) }, take: 50 }),
    );
    for (const auth of stale) {
      this.log.warn(`authorisation ${auth.id} was left pending past its decision time; declining it and voiding its hold`);
      await this.decline(auth, 'issuer_unavailable', true);
    }
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

  /** Takes an amount back off the card's day, as counted in this transaction (not as read before it). */
  private async uncountSpend(em: EntityManager, auth: Authorisation, amount: number): Promise<void> {
    if (amount <= 0) return;
    const current = await em.findOne(Authorisation, { where: { id: auth.id }, select: { id: true, spendDay: true, cardId: true } });
    if (!current?.spendDay) return;
    await em
      .createQueryBuilder()
      .update(CardSpend)
      .set({ amount: () => 'amount - :sub' })
      .where('card_id = :cardId AND day = :day', { cardId: current.cardId, day: current.spendDay, sub: amount })
      .execute();
  }

  /** Declines, keeping what the decline leaves to do (void a hold that may exist; show the decline). */
  private async decline(auth: Authorisation, reason: DeclineReason, holdMayExist = false): Promise<AuthorisationDecision> {
    const followup = holdMayExist ? 'void_hold' : auth.accountId ? 'record_decline' : null;
    await this.db.transaction(async (em) => {
      const result = await em
        .createQueryBuilder()
        .update(Authorisation)
        .set({ status: 'declined', declineReason: reason, followup })
        .where("id = :id AND status = 'pending'", { id: auth.id })
        .execute();
      if (result.affected === 1) await this.uncountSpend(em, auth, auth.amount);
    });
    if (followup) this.followUpSoon(auth.id);
    return { approved: false, networkTransactionId: auth.networkTransactionId, authorisationId: auth.id, declineReason: reason };
  }

  private followUpSoon(id: string): void {
    setImmediate(() => void this.followUp(id));
  }

  /** Does what a decision left to do, in a call tree of its own: the decision's deadline has passed. */
  private followUp(id: string): Promise<void> {
    return runWithContext(rootContext({ timeoutMs: FOLLOWUP_TIMEOUT_MS }, FOLLOWUP_TIMEOUT_MS), async () => {
      try {
        const auth = await this.db.read((em) => em.findOneBy(Authorisation, { id }));
        if (!auth?.followup) return;
        if (auth.followup === 'void_hold') {
          let voidedARealHold = false;
          try {
            const hold = await this.bus.send(
              LedgerPatterns.VoidHold,
              { holdId: auth.holdId, cancelIfAbsent: true },
              { idempotencyKey: `void:${auth.id}` },
            );
            voidedARealHold = hold.transactionId !== '';
          } catch (error) {
            if (!toCleaveError(error).is(LedgerErrors.holdNotPending)) throw error;
          }
          // A voided hold already shows as a reversed transaction; otherwise the decline gets a row of its own.
          const next = voidedARealHold || !auth.accountId ? null : 'record_decline';
          await this.db.transaction((em) => em.update(Authorisation, { id, followup: 'void_hold' }, { followup: next }));
          if (next) await this.followUp(id);
          return;
        }
        const merchant = JSON.parse(auth.merchant) as MerchantView;
        await this.bus.send(
          LedgerPatterns.RecordDecline,
          {
            accountId: auth.accountId!,
            amount: auth.amount,
            currency: auth.currency,
            description: merchant.name,
            category: merchant.category,
            merchant,
            declineReason: auth.declineReason!,
          },
          { idempotencyKey: `decline:${auth.id}` },
        );
        await this.db.transaction((em) => em.update(Authorisation, { id, followup: 'record_decline' }, { followup: null }));
      } catch (error) {
        // A decline's record refused as a bad request can never succeed: retrying it forever would only hide
        // it. (Voiding a hold is never given up: that is money.)
        if (toCleaveError(error).code === 'bad_request') {
          const dropped = await this.db
            .transaction((em) => em.update(Authorisation, { id, followup: 'record_decline' }, { followup: null }))
            .catch(() => undefined);
          if (dropped?.affected === 1) {
            this.log.error(`the decline of authorisation ${id} could not be recorded and is dropped: ${(error as Error).message}`);
            return;
          }
        }
        this.log.warn(`follow-up of authorisation ${id} failed, will retry: ${(error as Error).message}`);
      }
    });
  }

  private byNetworkId(networkTransactionId: string): Promise<Authorisation | null> {
    return this.db.read((em) => em.findOneBy(Authorisation, { networkTransactionId }));
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

  /** A retry of a known authorisation gets its decision, once there is one (within its own deadline). */
  private async awaitDecision(auth: Authorisation): Promise<AuthorisationDecision> {
    const deadline = (currentContext()?.deadline ?? Date.now() + 2_000) - this.settings.CLEAVE_AUTHORISATION_MARGIN_MS;
    let current: Authorisation | null = auth;
    while (current?.status === 'pending' && Date.now() < deadline) {
      await sleep(POLL_MS);
      current = await this.byNetworkId(auth.networkTransactionId);
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
