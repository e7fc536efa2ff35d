import { Inject, Injectable, Logger, ServiceUnavailableException, type BeforeApplicationShutdown } from '@nestjs/common';
import {
  HealthCheckService,
  HealthIndicatorService,
  type HealthCheckResult,
  type HealthIndicatorFunction,
  type HealthIndicatorResult,
} from '@nestjs/terminus';
import type { ContextDatabase } from '../database/context-database';
import { ContextDatabases } from '../database/context-databases';
import { deadLetterBacklog, outboxBacklog, type Backlog } from '../events/backlogs';
import { EventBus } from '../events/event-bus';
import { NATS_TRANSPORT } from '../config/tokens';
import type { NatsTransport } from '../nats/nats.transport';

/** How long a health check may take before it counts as down: a probe must answer before the prober gives up. */
const CHECK_TIMEOUT_MS = 2_000;
const READINESS_FRESH_MS = 1_000;
/** An outbox whose oldest event has waited this long is degraded: consumers are falling behind what happened. */
const OUTBOX_DEGRADED_AFTER_S = 30;
/** A consumer this far behind is degraded. */
const CONSUMER_DEGRADED_PENDING = 10_000;

/** Reports one check's result: `.up(details)`, `.degraded(details)` or `.down(details)`. */
export type HealthIndicatorSession = ReturnType<HealthIndicatorService['check']>;

/**
 * The process's health in the shape of @nestjs/terminus: each check is up, degraded (serving, impaired) or
 * down, with details. Readiness is every hosted context's database reachable and migrated, NATS connected
 * with every subscription and consumer up, and whatever a context adds (the gateway: the contexts it calls
 * answer); outbox lag, consumer lag and dead letters degrade it without failing it. From the moment the
 * process starts shutting down, readiness fails, so load balancers stop sending before it stops serving.
 */
@Injectable()
export class Health implements BeforeApplicationShutdown {
  private readonly contributed: HealthIndicatorFunction[] = [];
  private readonly migrated = new Set<string>();
  private lastFailing = '';
  private last: { at: number; outcome: Promise<{ ready: boolean; result: HealthCheckResult }> } | undefined;
  private shuttingDown = false;
  private readonly log = new Logger('Health');

  constructor(
    private readonly checks: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly dbs: ContextDatabases,
    private readonly events: EventBus,
    @Inject(NATS_TRANSPORT) private readonly nats: NatsTransport | null,
  ) {}

  /** Adds a readiness check of a context's own; `check(key)` reports its result as up, degraded or down. */
  contribute(check: (indicator: (key: string) => HealthIndicatorSession) => HealthIndicatorResult | Promise<HealthIndicatorResult>): void {
    this.contributed.push(() => check((key) => this.indicator.check(key)));
  }

  beforeApplicationShutdown(): void {
    this.shuttingDown = true;
  }

  /**
   * Liveness: the process answers. It says nothing of dependencies, so a restart is never the cure for them,
   * and stays up while the process drains: only readiness fails then, or an orchestrator would kill it mid-drain.
   */
  live(): HealthCheckResult {
    return { status: 'ok', details: {} };
  }

  /**
   * Readiness, with every check's details; `ready` is false when any check is down or the process is stopping.
   * Probes arriving together share one run of the checks, fresh for a second, so asking often costs nothing more.
   */
  async readiness(): Promise<{ ready: boolean; result: HealthCheckResult }> {
    if (this.last === undefined || Date.now() - this.last.at > READINESS_FRESH_MS) this.last = { at: Date.now(), outcome: this.check() };
    const outcome = await this.last.outcome;
    return this.shuttingDown ? { ready: false, result: { ...outcome.result, status: 'shutting_down' } } : outcome;
  }

  private async check(): Promise<{ ready: boolean; result: HealthCheckResult }> {
    let result: HealthCheckResult;
    try {
      result = await this.checks.check([...this.platformChecks(), ...this.contributed]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      result = error.getResponse() as HealthCheckResult;
    }
    const failing = Object.keys(result.error ?? {}).join(', ');
    if (failing !== this.lastFailing) {
      if (failing) this.log.warn(`not ready: ${failing} down (${JSON.stringify(result.error)})`);
      else this.log.log('ready again');
      this.lastFailing = failing;
    }
    return { ready: result.status === 'ok' || result.status === 'degraded', result };
  }

  private platformChecks(): HealthIndicatorFunction[] {
    const checks: HealthIndicatorFunction[] = [];
    if (this.nats !== null)
      checks.push(
        () => this.natsCheck(),
        () => this.eventsCheck(),
      );
    for (const [context, db] of this.dbs.all()) {
      checks.push(
        this.indicator
          .check(`${context}.database`)
          .attempt(() => this.databaseCheck(context, db))
          .withTimeout(CHECK_TIMEOUT_MS),
      );
    }
    for (const [context, db] of this.dbs.withEvents()) {
      checks.push(() => this.backlogCheck(`${context}.outbox`, outboxBacklog(db), (b) => b.oldestAgeSeconds > OUTBOX_DEGRADED_AFTER_S));
      checks.push(() => this.backlogCheck(`${context}.dead_letters`, deadLetterBacklog(db), (b) => b.count > 0));
    }
    return checks;
  }

  private natsCheck(): HealthIndicatorResult {
    const session = this.indicator.check('nats');
    if (!this.nats!.isConnected) return session.down({ message: 'disconnected' });
    const problems = this.nats!.problems();
    return problems.length > 0
      ? session.down({ message: `${problems.length} subscription(s) down`, problems })
      : session.up({ server: this.nats!.connection.getServer() });
  }

  private async eventsCheck(): Promise<HealthIndicatorResult> {
    const session = this.indicator.check('events');
    const problems = this.events.problems();
    if (problems.length > 0) return session.down({ message: `${problems.length} event subscription(s) or consumer(s) down`, problems });
    const lag = await withTimeout(this.events.consumerLag(), CHECK_TIMEOUT_MS).catch(() => ({}));
    const behind = Object.values(lag).some((l) => l.pending + l.unacknowledged > CONSUMER_DEGRADED_PENDING);
    return behind ? session.degraded({ consumers: lag }) : session.up({ consumers: lag });
  }

  /** Reachable, and every migration the code knows has run (remembered once true: migrations are not undone). */
  private async databaseCheck(context: string, db: ContextDatabase): Promise<Record<string, unknown>> {
    await db.read((em) => em.query('SELECT 1'));
    if (!this.migrated.has(context)) {
      const ran = new Set(((await db.read((em) => em.query('SELECT name FROM migrations'))) as Array<{ name: string }>).map((r) => r.name));
      const pending = db.dataSource.migrations.map((m) => m.name ?? m.constructor.name).filter((name) => !ran.has(name));
      if (pending.length > 0)
        throw new Error(`migrations not run: ${pending.join(', ')} (start with CLEAVE_MIGRATIONS=on, or migrate first)`);
      this.migrated.add(context);
    }
    return { engine: db.engine };
  }

  private async backlogCheck(key: string, backlog: Promise<Backlog>, degraded: (b: Backlog) => boolean): Promise<HealthIndicatorResult> {
    const session = this.indicator.check(key);
    try {
      const b = await withTimeout(backlog, CHECK_TIMEOUT_MS);
      const details = { count: b.count, oldest_age_seconds: Math.round(b.oldestAgeSeconds) };
      return degraded(b) ? session.degraded(details) : session.up(details);
    } catch (error) {
      return session.down({ message: (error as Error).message });
    }
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
