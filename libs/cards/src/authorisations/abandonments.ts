import { Injectable } from '@nestjs/common';
import type { AbandonAuthorisationRequest } from '@cleave/contracts';
import { ContextDatabase, isUniqueViolation, newEntityId } from '@cleave/platform';
import { Authorisation } from './authorisation.entity';
import { byNetworkId, uncountSpend } from './authorisation-store';
import { FollowUps } from './follow-ups';

/** The network's (or the gateway's) word that it stopped waiting for a decision. */
@Injectable()
export class Abandonments {
  constructor(
    private readonly db: ContextDatabase,
    private readonly followUps: FollowUps,
  ) {}

  /** The network gave up waiting: whatever this authorisation became, it must come to nothing. */
  async abandon(request: AbandonAuthorisationRequest): Promise<void> {
    let auth = await byNetworkId(this.db, request.networkTransactionId);
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
        auth = (await byNetworkId(this.db, request.networkTransactionId))!;
      }
    }
    const changed = await this.db.transaction(async (em) => {
      const result = await em
        .createQueryBuilder()
        .update(Authorisation)
        .set({ status: 'declined', declineReason: 'issuer_unavailable', followup: 'void_hold' })
        .where('id = :id AND status IN (:...open)', { id: auth!.id, open: ['pending', 'approved'] })
        .execute();
      if (result.affected === 1) await uncountSpend(this.db, em, auth!.id, auth!.amount);
      return result.affected === 1;
    });
    if (changed) this.followUps.soon(auth.id);
  }
}
