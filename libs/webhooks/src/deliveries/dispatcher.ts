import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { isIP } from 'node:net';
import { ContextDatabase, Metrics, PeriodicJob, sql } from '@cleave/platform';
import type { DeliveryAttemptView } from '@cleave/contracts';
import { Webhook } from '../registrations/webhook.entity';
import { dnsServersOf, WebhooksSettings } from '../webhooks.settings';
import { blockedRange, guardedLookup, hostOf, withArticle } from './address-guard';
import { hostResolver } from './host-resolver';
import { DELIVERIES_QUEUED } from './deliveries';
import { Delivery } from './delivery.entity';
import { postJson } from './http-post';
import { SIGNATURE_HEADER, sign } from './signature';

const LEASE_MARGIN_MS = 5_000;
/**
 * Due deliveries, each account's first `?` and each customer's first `?` of them only (read again when
 * leasing), every customer's oldest before anyone's second: one customer's backlog can't fill the list and
 * hide everyone else's.
 */
const DUE_BY_OWNER = sql(
  'deliveries.due-by-owner',
  `SELECT id, account_id AS "accountId", owner AS "ownerId" FROM (
    SELECT id, next_attempt_at, account_id, owner,
      ROW_NUMBER() OVER (PARTITION BY owner ORDER BY next_attempt_at, id) AS owner_place
    FROM (
      SELECT d.id, d.next_attempt_at, w.account_id, COALESCE(w.owner_id, w.account_id) AS owner,
        ROW_NUMBER() OVER (PARTITION BY w.account_id ORDER BY d.next_attempt_at, d.id) AS account_place
      FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
      WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND (d.leased_until IS NULL OR d.leased_until < ?)
    ) by_account WHERE account_place <= ?
  ) due WHERE owner_place <= ? ORDER BY owner_place, next_attempt_at, id LIMIT ?`,
);
const MAX_BACKOFF_MS = 3_600_000;

/**
 * Sends due deliveries from the database, in every replica: each takes a delivery by a conditional update
 * (a lease), so two replicas never send one try, and a replica that dies mid-try loses its lease to another.
 * It runs apart from everything that moves money, and one account's slow or dead receivers hold at most
 * CLEAVE_WEBHOOK_CONCURRENCY_PER_ACCOUNT of its slots, one customer's CLEAVE_WEBHOOK_CONCURRENCY_PER_CUSTOMER
 * across their accounts: they delay their own deliveries, not others'. A freed slot goes first to whoever
 * has fewest in flight.
 */
@Injectable()
export class DeliveryDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('Webhooks');
  private readonly inFlight = new Set<Promise<void>>();
  private readonly inFlightByAccount = new Map<string, number>();
  private readonly inFlightByOwner = new Map<string, number>();
  private readonly holderOf = new WeakMap<Delivery, { accountId: string; ownerId: string }>();
  private readonly scanning: PeriodicJob;
  private readonly lookup;

  private readonly attempts;

  constructor(
    private readonly db: ContextDatabase,
    @Inject(WebhooksSettings) private readonly settings: WebhooksSettings,
    metrics: Metrics,
  ) {
    this.lookup = guardedLookup(settings.CLEAVE_WEBHOOKS_ALLOW_PRIVATE, hostResolver(dnsServersOf(settings)));
    this.scanning = new PeriodicJob('looking for due deliveries', settings.CLEAVE_WEBHOOK_POLL_MS, () => this.scan(), this.log);
    this.attempts = metrics.counter({
      name: 'cleave_webhook_delivery_attempts_total',
      help: 'Tries to deliver a webhook, by outcome: delivered, retrying (failed, tried again later) or failed (gave up).',
      labelNames: ['outcome'] as const,
    });
  }

  onApplicationBootstrap(): void {
    if (this.settings.CLEAVE_WEBHOOKS_ALLOW_PRIVATE)
      this.log.warn(
        'CLEAVE_WEBHOOKS_ALLOW_PRIVATE is on: webhooks may reach loopback and private addresses (development only; link-local and metadata addresses stay blocked)',
      );
    this.db.onSignal(DELIVERIES_QUEUED, () => this.scanning.wake());
    this.scanning.start();
  }

  /** Stops taking deliveries and waits for the tries in hand (each bounded by its timeout). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.scanning.stop();
    await Promise.all(this.inFlight);
  }

  private async scan(): Promise<void> {
    while (!this.scanning.stopping) {
      const room = this.settings.CLEAVE_WEBHOOK_CONCURRENCY - this.inFlight.size;
      if (room <= 0) return;
      const taken = await this.take(room);
      if (taken.length === 0) return;
      for (const delivery of taken) {
        const attempt = this.attempt(delivery).catch((error: unknown) =>
          this.log.error(`delivery ${delivery.id} failed unexpectedly: ${(error as Error).message}`),
        );
        this.inFlight.add(attempt);
        void attempt.finally(() => {
          this.inFlight.delete(attempt);
          this.settled(delivery);
          this.scanning.wake();
        });
      }
    }
  }

  /**
   * Leases up to `limit` due deliveries to this replica, those of customers with fewest in flight first,
   * then oldest first, and no more than CLEAVE_WEBHOOK_CONCURRENCY_PER_ACCOUNT in flight for one account or
   * CLEAVE_WEBHOOK_CONCURRENCY_PER_CUSTOMER for one customer: receivers that hang would otherwise fill every
   * slot, for their whole timeout, ahead of everyone else's.
   */
  private async take(limit: number): Promise<Delivery[]> {
    const now = new Date();
    const nowIso = now.toISOString();
    const perAccount = this.settings.CLEAVE_WEBHOOK_CONCURRENCY_PER_ACCOUNT;
    const perOwner = this.settings.CLEAVE_WEBHOOK_CONCURRENCY_PER_CUSTOMER;
    const due = await this.db.all<{ id: string; accountId: string; ownerId: string }>(undefined, DUE_BY_OWNER, [
      nowIso,
      nowIso,
      perAccount,
      perOwner,
      limit * 4,
    ]);
    // Stable: oldest first among equals.
    due.sort((a, b) => (this.inFlightByOwner.get(a.ownerId) ?? 0) - (this.inFlightByOwner.get(b.ownerId) ?? 0));
    const leasedUntil = new Date(now.getTime() + this.settings.CLEAVE_WEBHOOK_TIMEOUT_MS + LEASE_MARGIN_MS).toISOString();
    const taken: Delivery[] = [];
    for (const { id, accountId, ownerId } of due) {
      if (taken.length >= limit) break;
      // What is taken so far must reach the caller even if a lease fails: its slots are given back only when its try ends.
      try {
        await this.lease(id, accountId, ownerId, leasedUntil, nowIso, taken);
      } catch (error) {
        this.log.warn(`leasing deliveries failed, will look again: ${(error as Error).message}`);
        break;
      }
    }
    return taken;
  }

  /** Leases one delivery to this replica and counts it in its account's and customer's slots; false when it can't be had. */
  private async lease(
    id: string,
    accountId: string,
    ownerId: string,
    leasedUntil: string,
    nowIso: string,
    taken: Delivery[],
  ): Promise<boolean> {
    const perAccount = this.settings.CLEAVE_WEBHOOK_CONCURRENCY_PER_ACCOUNT;
    const perOwner = this.settings.CLEAVE_WEBHOOK_CONCURRENCY_PER_CUSTOMER;
    if ((this.inFlightByAccount.get(accountId) ?? 0) >= perAccount || (this.inFlightByOwner.get(ownerId) ?? 0) >= perOwner) return false;
    const result = await this.db.transaction((em) =>
      em
        .createQueryBuilder()
        .update(Delivery)
        .set({ leasedUntil })
        .where("id = :id AND status = 'pending' AND (leased_until IS NULL OR leased_until < :now)", { id, now: nowIso })
        .execute(),
    );
    if (result.affected !== 1) return false;
    const delivery = await this.db.read((em) => em.findOneBy(Delivery, { id }));
    if (delivery === null) return false;
    this.inFlightByAccount.set(accountId, (this.inFlightByAccount.get(accountId) ?? 0) + 1);
    this.inFlightByOwner.set(ownerId, (this.inFlightByOwner.get(ownerId) ?? 0) + 1);
    this.holderOf.set(delivery, { accountId, ownerId });
    taken.push(delivery);
    return true;
  }

  /** A try ended: its account and its customer have a slot back. */
  private settled(delivery: Delivery): void {
    const holder = this.holderOf.get(delivery);
    if (holder === undefined) return;
    release(this.inFlightByAccount, holder.accountId);
    release(this.inFlightByOwner, holder.ownerId);
  }

  private async attempt(delivery: Delivery): Promise<void> {
    const hook = await this.db.read((em) => em.findOneBy(Webhook, { id: delivery.webhookId }));
    if (!hook || hook.status !== 'active') {
      await this.finish(delivery, 'failed', {
        at: new Date().toISOString(),
        durationMs: 0,
        error: `the webhook is ${hook?.status ?? 'gone'}`,
      });
      return;
    }
    const started = Date.now();
    const timestamp = Math.floor(started / 1000);
    let outcome: DeliveryAttemptView;
    try {
      const url = new URL(hook.url);
      const host = hostOf(url);
      // A literal address skips DNS, so the lookup hook never sees it: check it here.
      const range = isIP(host) ? blockedRange(host, this.settings.CLEAVE_WEBHOOKS_ALLOW_PRIVATE) : undefined;
      if (range) throw new Error(`${host} is ${withArticle(range)} address`);
      const { statusCode } = await postJson(
        url,
        delivery.body,
        {
          'user-agent': 'Cleave-Webhooks/1',
          [SIGNATURE_HEADER]: sign(hook.secret, timestamp, delivery.body),
          'Cleave-Webhook-Id': hook.id,
          'Cleave-Delivery-Id': delivery.id,
          'Cleave-Event-Id': delivery.eventId,
        },
        this.settings.CLEAVE_WEBHOOK_TIMEOUT_MS,
        this.lookup,
      );
      outcome = { at: new Date(started).toISOString(), statusCode, durationMs: Date.now() - started };
    } catch (error) {
      outcome = {
        at: new Date(started).toISOString(),
        error: String((error as Error)?.message ?? error).slice(0, 300),
        durationMs: Date.now() - started,
      };
    }
    // 410 Gone: the receiver says the URL is no more (as REST Hooks has it). Trying it seven more times, and
    // every later event, would only knock on a door its owner closed.
    if (outcome.statusCode === 410) {
      await this.finish(delivery, 'failed', outcome);
      await this.db.transaction((em) =>
        em.update(
          Webhook,
          { id: hook.id, status: 'active' },
          { status: 'disabled', disabledReason: 'disabled: the receiver answered 410 Gone' },
        ),
      );
      this.log.warn(`webhook ${hook.id} disabled: its receiver answered 410 Gone`);
      return;
    }
    const ok = outcome.statusCode !== undefined && outcome.statusCode >= 200 && outcome.statusCode < 300;
    await this.finish(delivery, ok ? 'delivered' : 'pending', outcome);
    await this.recordOnWebhook(hook, ok, outcome);
  }

  /** Records a try; a failed one is retried later, until the last allowed. */
  private async finish(delivery: Delivery, status: 'delivered' | 'pending' | 'failed', outcome: DeliveryAttemptView): Promise<void> {
    await this.db.transaction(async (em) => {
      const row = await em.findOneByOrFail(Delivery, { id: delivery.id });
      const attempts = [...(JSON.parse(row.attempts) as DeliveryAttemptView[]), outcome];
      const exhausted = status === 'pending' && attempts.length >= this.settings.CLEAVE_WEBHOOK_MAX_ATTEMPTS;
      const final = exhausted ? 'failed' : status;
      const nextAttemptAt = final === 'pending' ? new Date(Date.now() + this.backoff(attempts.length)).toISOString() : null;
      await em.update(Delivery, { id: row.id }, { status: final, attempts: JSON.stringify(attempts), nextAttemptAt, leasedUntil: null });
      this.db.afterCommit(em, () => this.attempts.labels(final === 'pending' ? 'retrying' : final).inc());
      if (exhausted) this.log.warn(`delivery ${row.id} to webhook ${row.webhookId} failed after ${attempts.length} tries`);
    });
  }

  /** A success resets the webhook's run of failures; a long run disables it. */
  private async recordOnWebhook(hook: Webhook, ok: boolean, outcome: DeliveryAttemptView): Promise<void> {
    await this.db.transaction(async (em) => {
      if (ok) {
        if (hook.consecutiveFailures !== 0) await em.update(Webhook, { id: hook.id }, { consecutiveFailures: 0, failingSince: null });
        return;
      }
      const now = new Date();
      await em
        .createQueryBuilder()
        .update(Webhook)
        .set({ consecutiveFailures: () => 'consecutive_failures + 1', failingSince: () => 'COALESCE(failing_since, :now)' })
        .where('id = :id', { id: hook.id })
        .setParameters({ now: now.toISOString() })
        .execute();
      const limit = this.settings.CLEAVE_WEBHOOK_DISABLE_AFTER;
      const since = new Date(now.getTime() - this.settings.CLEAVE_WEBHOOK_DISABLE_AFTER_MS).toISOString();
      const reason = `disabled after ${limit} failed deliveries in a row${failingFor(this.settings.CLEAVE_WEBHOOK_DISABLE_AFTER_MS)}; last: ${outcome.statusCode !== undefined ? `HTTP ${outcome.statusCode}` : outcome.error}`;
      const disabled = await em
        .createQueryBuilder()
        .update(Webhook)
        .set({ status: 'disabled', disabledReason: reason.slice(0, 300) })
        .where("id = :id AND status = 'active' AND consecutive_failures >= :limit AND failing_since <= :since", {
          id: hook.id,
          limit,
          since,
        })
        .execute();
      if (disabled.affected === 1) this.log.warn(`webhook ${hook.id} ${reason}`);
    });
  }

  /** Exponential, ×4 a try, with ±50% jitter so retries from many deliveries spread out. */
  private backoff(attempts: number): number {
    const base = Math.min(MAX_BACKOFF_MS, this.settings.CLEAVE_WEBHOOK_BACKOFF_MS * 4 ** (attempts - 1));
    return Math.round(base * (0.5 + Math.random()));
  }
}

function release(counts: Map<string, number>, key: string): void {
  const left = (counts.get(key) ?? 1) - 1;
  if (left <= 0) counts.delete(key);
  else counts.set(key, left);
}

/** How long a run of failures must have lasted, as the reason says it ("" when it needn't have). */
function failingFor(ms: number): string {
  if (ms === 0) return '';
  return ms % 3_600_000 === 0 ? ` over ${ms / 3_600_000} h` : ms % 60_000 === 0 ? ` over ${ms / 60_000} min` : ` over ${ms} ms`;
}
