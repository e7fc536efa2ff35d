import { Injectable } from '@nestjs/common';
import type { AbandonAuthorisationRequest } from '@cleave/contracts';
import { ContextDatabase, isUniqueViolation } from '@cleave/platform';
import { Authorisation, type AuthorisationStatus } from './authorisation.entity';
import { byNetworkId, uncountSpend, undecidedRecord } from './authorisation-store';
import { FollowUps } from './follow-ups';

/** What an abandonment withdraws: anything the network may still think approved, or that is being decided. */
const OPEN: AuthorisationStatus[] = ['pending', 'approved', 'partially_reversed'];

/** The network's (or the gateway's) word that it stopped waiting for a decision. */
@Injectable()
export class Abandonments {
  constructor(
    private readonly db: ContextDatabase,
    private readonly followUps: FollowUps,
  ) {}

  /**
   * The network gave up waiting: whatever this authorisation became, it must come to nothing. `undecidedOnly`:
   * only if it is still being decided (a retry out of time answers with whatever stands once it is decided).
   */
  async abandon(request: AbandonAuthorisationRequest, undecidedOnly = false): Promise<void> {
    let auth = await byNetworkId(this.db, request.networkTransactionId);
    if (!auth) {
      // Not seen yet: a declined record now makes the original, should it still arrive, get this answer.
      const tombstone = undecidedRecord(request.networkTransactionId, {
        cardId: null,
        accountId: null,
        amount: 0,
        currency: 'XXX',
        merchant: '{}',
        status: 'declined',
        declineReason: 'issuer_unavailable',
        transactionId: null,
      });
      try {
        await this.db.transaction((em) => em.insert(Authorisation, tombstone));
        return;
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        auth = (await byNetworkId(this.db, request.networkTransactionId))!;
      }
    }
    const changed = await this.db.transaction(async (em) => {
      // Reversals change what a partly reversed one still holds and counts under this lock.
      await this.db.lockKeys(em, [`authorisation:${auth!.id}`]);
      const current = await em.findOneBy(Authorisation, { id: auth!.id });
      if (!current || !(undecidedOnly ? current.status === 'pending' : OPEN.includes(current.status))) return false;
      const counted = current.status === 'partially_reversed' ? current.heldAmount : current.amount;
      // A pending one may be approved meanwhile (not under the lock): that is still open, counting its amount.
      const result = await em
        .createQueryBuilder()
        .update(Authorisation)
        .set({ status: 'declined', declineReason: 'issuer_unavailable', followup: 'void_hold' })
        .where(
          undecidedOnly
            ? "id = :id AND status = 'pending'"
            : "id = :id AND (status IN ('pending', 'approved') OR (status = 'partially_reversed' AND held_amount = :held))",
          {
            id: current.id,
            held: current.heldAmount,
          },
        )
        .execute();
      if (result.affected === 1) await uncountSpend(this.db, em, current.id, counted);
      return result.affected === 1;
    });
    if (changed) this.followUps.soon(auth.id);
  }
}
