import { Injectable } from '@nestjs/common';
import {
  CardsErrors,
  LedgerErrors,
  LedgerPatterns,
  type RefundRequest,
  type RefundResult,
  type ReversalResult,
  type ReverseRequest,
} from '@cleave/contracts';
import { answeredBefore, claimIdempotency, CleaveError, ContextDatabase, MessageBus, toCleaveError } from '@cleave/platform';
import { Authorisation } from '../authorisations/authorisation.entity';
import { assertCardCurrency, byNetworkId, cardPayment, LIVE, uncountSpend } from '../authorisations/authorisation-store';
import { Card } from '../cards/card.entity';
import { enrichMerchant } from '../merchants/merchants';

/** Money going back: reversals of an authorisation's hold, and refunds of a cleared payment. */
@Injectable()
export class Reversals {
  constructor(
    private readonly db: ContextDatabase,
    private readonly bus: MessageBus,
  ) {}

  /**
   * Releases all or part of an authorisation's hold, once per reversal id. As with {@link present}, the
   * ledger is called first (keyed by the reversal) and cards' transaction follows; concurrent reversals of
   * one authorisation take turns on its lock there and each subtracts what it released from what is held.
   */
  async reverse(request: ReverseRequest): Promise<ReversalResult> {
    const key = `reverse:${request.reversalId}`;
    const earlier = await answeredBefore<ReversalResult>(this.db, 'cards.reverse', request, key);
    if (earlier) return earlier.replay;
    const auth = await byNetworkId(this.db, request.networkTransactionId);
    if (!auth) throw CleaveError.notFound(`no authorisation ${request.networkTransactionId}`);
    if (auth.status !== 'approved' && auth.status !== 'partially_reversed') {
      // A copy of this very reversal may have finished since its key was asked after: its answer stands.
      const meanwhile = await answeredBefore<ReversalResult>(this.db, 'cards.reverse', request, key);
      if (meanwhile) return meanwhile.replay;
      throw CleaveError.of(CardsErrors.notReversible, `authorisation ${request.networkTransactionId} is ${auth.status}`);
    }
    const release = Math.min(request.amount ?? auth.heldAmount, auth.heldAmount);
    try {
      if (release >= auth.heldAmount) await this.bus.send(LedgerPatterns.VoidHold, { holdId: auth.holdId }, { idempotencyKey: key });
      else await this.bus.send(LedgerPatterns.ReleaseHold, { holdId: auth.holdId, amount: release }, { idempotencyKey: key });
    } catch (error) {
      // Presented meanwhile (a race with its presentment) or expired: the network hears the same answer as
      // for a reversal that comes after either, not the ledger's view of its hold.
      if (toCleaveError(error).is(LedgerErrors.holdNotPending))
        throw CleaveError.of(
          CardsErrors.notReversible,
          `authorisation ${request.networkTransactionId} no longer holds money: presented or expired`,
        );
      throw error;
    }
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
        await uncountSpend(this.db, em, current.id, released);
      }
      return result;
    });
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    const card = await this.db.read((em) => em.findOneBy(Card, { token: request.cardToken }));
    if (!card) throw CleaveError.notFound('no such card');
    assertCardCurrency(card, request.currency);
    const merchant = enrichMerchant(request.merchant);
    const tx = await this.bus.send(LedgerPatterns.RefundCardPayment, cardPayment(card.accountId, request, merchant), {
      idempotencyKey: `refund:${request.networkTransactionId}`,
    });
    return { networkTransactionId: request.networkTransactionId, transactionId: tx.id };
  }
}
