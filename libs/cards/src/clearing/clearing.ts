import { Injectable, Logger } from '@nestjs/common';
import { In } from 'typeorm';
import {
  CardsErrors,
  LedgerErrors,
  LedgerPatterns,
  type MerchantView,
  type PresentmentResult,
  type PresentRequest,
} from '@cleave/contracts';
import { answeredBefore, claimIdempotency, CleaveError, ContextDatabase, MessageBus, toCleaveError } from '@cleave/platform';
import { Authorisation } from '../authorisations/authorisation.entity';
import { assertCardCurrency, byNetworkId, cardPayment, LIVE, uncountSpend, undecidedRecord } from '../authorisations/authorisation-store';
import { Card } from '../cards/card.entity';
import { enrichMerchant } from '../merchants/merchants';

/** Clearing: the network's presentments, posted against an authorisation's hold or forced without one. */
@Injectable()
export class Clearing {
  private readonly log = new Logger('CardNetwork');

  constructor(
    private readonly db: ContextDatabase,
    private readonly bus: MessageBus,
  ) {}

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
    const known = request.networkTransactionId ? await byNetworkId(this.db, request.networkTransactionId) : null;
    // A decline recorded before its authorisation was seen (the network gave up first) names no card,
    // currency or merchant: clearing it is a force post, as for a network id never seen.
    const auth = known?.cardId ? known : null;
    const card = auth
      ? await this.db.read((em) => em.findOneBy(Card, { id: auth.cardId! }))
      : request.cardToken
        ? await this.db.read((em) => em.findOneBy(Card, { token: request.cardToken }))
        : null;
    if (!card) throw CleaveError.notFound('no authorisation with that network_transaction_id, and no card_token to force-post to');
    const { result, settles } = await this.clear(request, auth, card);
    return this.db.transaction(async (em) => {
      const claimed = await claimIdempotency(this.db, em, 'cards.present', request, result, key);
      if (claimed) return claimed.replay;
      if (settles) {
        const presented = await em.update(Authorisation, { id: settles.id, status: In(LIVE) }, { status: 'presented', heldAmount: 0 });
        // The card's day counts what was cleared, not what was asked for.
        if (presented.affected === 1) await uncountSpend(this.db, em, settles.id, settles.heldAmount - result.amount);
      } else if (!known && request.networkTransactionId && result.status === 'force_posted') {
        // Cleared before its authorisation came: the authorisation, should it still come, finds it cleared
        // and holds nothing more.
        const cleared = undecidedRecord(request.networkTransactionId, {
          cardId: card.id,
          accountId: card.accountId,
          amount: request.amount,
          currency: request.currency,
          merchant: request.merchant ? JSON.stringify(enrichMerchant(request.merchant)) : '{}',
          status: 'presented',
          declineReason: null,
          transactionId: result.transactionId ?? null,
        });
        await em.createQueryBuilder().insert().into(Authorisation).values(cleared).orIgnore().execute();
      }
      return result;
    });
  }

  /** What the ledger makes of a presentment, and the authorisation it settles (if any). */
  private async clear(
    request: PresentRequest,
    auth: Authorisation | null,
    card: Card,
  ): Promise<{ result: PresentmentResult; settles: Authorisation | null }> {
    // An authorisation is cleared in its own currency: posted against its hold, another's amount would take
    // €10 as £10; forced, the ledger would refuse it naming its own account.
    if (auth && request.currency !== auth.currency)
      throw CleaveError.ofField(
        CardsErrors.currencyMismatch,
        { field: 'currency', rule: 'currencyMismatch', message: `currency must be ${auth.currency}, the authorisation's` },
        `authorisation ${request.networkTransactionId} is in ${auth.currency}, the presentment in ${request.currency}`,
      );
    if (auth && LIVE.includes(auth.status) && auth.heldAmount > 0) {
      const post = async (amount: number, suffix: string, reason?: PresentmentResult['reason']) => {
        await this.bus.send(
          LedgerPatterns.PostHold,
          { holdId: auth.holdId, amount },
          { idempotencyKey: `present:${request.presentmentId}${suffix}` },
        );
        const result: PresentmentResult = {
          presentmentId: request.presentmentId,
          status: 'posted',
          amount,
          transactionId: auth.transactionId ?? undefined,
          ...(reason ? { reason } : {}),
        };
        return { result, settles: auth };
      };
      try {
        return await post(request.amount, '');
      } catch (error) {
        const e = toCleaveError(error);
        // More was presented than held and the account can't cover the difference: take what was held.
        if (e.is(LedgerErrors.insufficientFunds)) return await post(auth.heldAmount, ':held', 'insufficient_funds_for_extra');
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
    if (!merchant)
      throw CleaveError.ofField(
        CardsErrors.missingParam,
        { field: 'merchant', rule: 'isDefined', message: 'merchant is needed to force-post without an authorisation' },
        'a force post needs the merchant',
      );
    assertCardCurrency(card, request.currency);
    try {
      const tx = await this.bus.send(LedgerPatterns.PostCardPayment, cardPayment(card.accountId, request, merchant), {
        idempotencyKey: `present:${request.presentmentId}:force`,
      });
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
}
