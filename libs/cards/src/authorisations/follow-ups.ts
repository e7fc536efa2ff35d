import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { IsNull, LessThan, MoreThan, Not } from 'typeorm';
import { type AuthorisationDecision, type DeclineReason, LedgerErrors, LedgerPatterns, type MerchantView } from '@cleave/contracts';
import { ContextDatabase, MessageBus, PeriodicJob, rootContext, runWithContext, sql, toCleaveError } from '@cleave/platform';
import { CardsSettings } from '../cards.settings';
import { Authorisation } from './authorisation.entity';
import { cardPayment, uncountSpend } from './authorisation-store';

const FOLLOWUP_TIMEOUT_MS = 10_000;
/** How long after its hold's expiry an approval stops counting against its card's day. */
const EXPIRY_GRACE_MS = 5_000;

const declinePending = sql(
  'authorisations.decline',
  "UPDATE card_authorisations SET status = 'declined', decline_reason = ?, followup = ? WHERE id = ? AND status = 'pending'",
);
/**
 * {@link declinePending} and the spend it had counted taken back off its card's day, in one PostgreSQL
 * statement. The day's row is locked first, as recording an authorisation locks it (counting the payment)
 * before its own row: the other way round, a decline and a retry of the same payment recorded at once
 * deadlocked, and the network was answered a 500.
 */
const declineAtOnce = sql(
  'authorisations.decline-at-once',
  '-- PostgreSQL only',
  `WITH day AS (
    SELECT 1 FROM card_daily_spend WHERE $4::bigint > 0 AND card_id = $5 AND day = $6 FOR UPDATE
  ), declined AS (
    UPDATE card_authorisations SET status = 'declined', decline_reason = $1, followup = $2
    WHERE id = $3 AND status = 'pending' AND (SELECT count(*) FROM day) >= 0
    RETURNING card_id, spend_day
  ), uncounted AS (
    UPDATE card_daily_spend AS s SET amount = s.amount - $4::bigint FROM declined AS d
    WHERE $4::bigint > 0 AND s.card_id = d.card_id AND s.day = d.spend_day
  )
  SELECT count(*)::int AS declined FROM declined`,
);
/** A follow-up done: the next one (or none), if the one done is still the one recorded. */
const followedUp = sql('authorisations.followed-up', 'UPDATE card_authorisations SET followup = ? WHERE id = ? AND followup = ?');
/** How long past its decision time a pending authorisation is left before the sweep declines it. */
const STALE_GRACE_MS = 1_000;

/**
 * What declines leave to do, done until it is: a decline records whether a hold may exist (void it) and that
 * the customer should see it (a declined row on the statement), and this retries both, at once and then on a
 * timer in every cards replica, until the ledger has them. No money stays held for a payment the network was
 * told was declined.
 */
@Injectable()
export class FollowUps implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('CardNetwork');
  private readonly job: PeriodicJob;

  constructor(
    private readonly db: ContextDatabase,
    private readonly bus: MessageBus,
    @Inject(CardsSettings) private readonly settings: CardsSettings,
  ) {
    this.job = new PeriodicJob('the follow-up sweep', settings.CLEAVE_CARD_FOLLOWUP_MS, () => this.followUpDue(), this.log);
  }

  /** Retries what declines left to do; runs on a timer in every cards replica. */
  onApplicationBootstrap(): void {
    this.job.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.job.stop();
  }

  private async followUpDue(): Promise<void> {
    await this.declineStale();
    await this.uncountExpired();
    const due = await this.db.read((em) => em.find(Authorisation, { where: { followup: Not(IsNull()) }, select: { id: true }, take: 50 }));
    for (const { id } of due) await this.run(id);
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

  /**
   * Approvals whose holds the ledger has let expire (nobody presented them): what they counted against the
   * card's day comes off it (a payment that never happened was declining others as over the daily limit), and
   * they hold nothing any more. A little after the ledger's expiry, so a presentment that beats it still posts the hold.
   */
  private async uncountExpired(): Promise<void> {
    const cutoff = new Date(Date.now() - this.settings.CLEAVE_AUTHORISATION_EXPIRY_SECONDS * 1000 - EXPIRY_GRACE_MS).toISOString();
    for (const status of ['approved', 'partially_reversed'] as const) {
      const expired = await this.db.read((em) =>
        em.find(Authorisation, { where: { status, decideBy: LessThan(cutoff), heldAmount: MoreThan(0) }, select: { id: true }, take: 50 }),
      );
      for (const { id } of expired) {
        await this.db.transaction(async (em) => {
          // Reversals and clearing change what it holds under this lock.
          await this.db.lockKeys(em, [`authorisation:${id}`]);
          const current = await em.findOneBy(Authorisation, { id });
          if (!current || current.status !== status || current.heldAmount === 0) return;
          await uncountSpend(this.db, em, id, current.heldAmount);
          await em.update(Authorisation, { id, status, heldAmount: current.heldAmount }, { heldAmount: 0 });
        });
      }
    }
  }

  /** Declines, keeping what the decline leaves to do (void a hold that may exist; show the decline). */
  async decline(auth: Authorisation, reason: DeclineReason, holdMayExist = false): Promise<AuthorisationDecision> {
    const followup = holdMayExist ? 'void_hold' : auth.accountId ? 'record_decline' : null;
    const declined =
      this.db.engine === 'postgres'
        ? (await this.db.get<{ declined: number }>(undefined, declineAtOnce, [
            reason,
            followup,
            auth.id,
            auth.amount,
            auth.cardId,
            auth.spendDay,
          ]))!.declined
        : await this.db.transaction(async (em) => {
            const changed = await this.db.run(em, declinePending, [reason, followup, auth.id]);
            if (changed === 1) await uncountSpend(this.db, em, auth.id, auth.amount);
            return changed;
          });
    // Declined here, the row is known; otherwise (abandoned meanwhile) what it was left to do is read.
    if (followup) this.soon(auth.id, declined === 1 ? { ...auth, status: 'declined', declineReason: reason, followup } : undefined);
    return { approved: false, networkTransactionId: auth.networkTransactionId, authorisationId: auth.id, declineReason: reason };
  }

  /** Does what authorisation `id` was left to do, soon; `committed` is its row as just committed, if the caller has it. */
  soon(id: string, committed?: Authorisation): void {
    setImmediate(() => void this.run(id, committed));
  }

  /** Does what a decision left to do, in a call tree of its own: the decision's deadline has passed. */
  private run(id: string, committed?: Authorisation): Promise<void> {
    return runWithContext(rootContext({ timeoutMs: FOLLOWUP_TIMEOUT_MS }, FOLLOWUP_TIMEOUT_MS), async () => {
      try {
        // Done meanwhile by another replica's sweep, the ledger's keys answer its calls again and nothing more.
        const auth = committed ?? (await this.db.read((em) => em.findOneBy(Authorisation, { id })));
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
          await this.db.run(undefined, followedUp, [next, id, 'void_hold']);
          if (next) await this.run(id);
          return;
        }
        const merchant = JSON.parse(auth.merchant) as MerchantView;
        await this.bus.send(
          LedgerPatterns.RecordDecline,
          { ...cardPayment(auth.accountId!, auth, merchant), declineReason: auth.declineReason! },
          { idempotencyKey: `decline:${auth.id}` },
        );
        await this.db.run(undefined, followedUp, [null, id, 'record_decline']);
      } catch (error) {
        // A decline's record refused as a bad request can never succeed: retrying it forever would only hide
        // it. (Voiding a hold is never given up: that is money.)
        if (toCleaveError(error).code === 'bad_request') {
          const dropped = await this.db.run(undefined, followedUp, [null, id, 'record_decline']).catch(() => 0);
          if (dropped === 1) {
            this.log.error(`the decline of authorisation ${id} could not be recorded and is dropped: ${(error as Error).message}`);
            return;
          }
        }
        this.log.warn(`follow-up of authorisation ${id} failed, will retry: ${(error as Error).message}`);
      }
    });
  }
}
