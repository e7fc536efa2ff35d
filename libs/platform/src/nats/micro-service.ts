import { nuid } from '@nats-io/transport-node';
import type { GuardedSubscriptions } from './guarded-subscriptions';
import { isInbox } from './subjects';

/** Request counters of one endpoint, in the shape of the NATS micro-services protocol's STATS reply. */
export class EndpointStats {
  numRequests = 0;
  numErrors = 0;
  lastError = '';
  processingTimeNs = 0;

  constructor(
    readonly name: string,
    readonly subject: string,
    readonly queueGroup: string,
  ) {}

  /** Records one request that started at `startedMs` (performance.now()). */
  record(startedMs: number, error?: string): void {
    this.numRequests++;
    this.processingTimeNs += Math.round((performance.now() - startedMs) * 1e6);
    if (error !== undefined) {
      this.numErrors++;
      this.lastError = error;
    }
  }
}

const API = '$SRV';

/**
 * Answers `$SRV.PING|INFO|STATS` for one context (the NATS micro-services protocol, ADR-32), so `nats micro
 * ls|info|stats` and other stock tooling discover and inspect Cleave's services. Written here rather than with
 * @nats-io/services, which is a pre-release pinned to its own copy of the client and counts only the
 * synchronous part of a handler's time and none of the errors it answers with.
 */
export class MicroServiceResponder {
  readonly id = nuid.next();
  private readonly started = new Date().toISOString();

  constructor(
    /** The subscriptions of the context's endpoints: these live and die with them. */
    private readonly subscriptions: GuardedSubscriptions,
    readonly name: string,
    private readonly version: string,
    private readonly description: string,
    private readonly metadata: Record<string, string>,
    private readonly endpoints: readonly EndpointStats[],
  ) {}

  start(): void {
    for (const verb of ['PING', 'INFO', 'STATS'] as const) {
      for (const subject of [`${API}.${verb}`, `${API}.${verb}.${this.name}`, `${API}.${verb}.${this.name}.${this.id}`]) {
        this.subscriptions.add(subject, (msg) => {
          if (isInbox(msg.reply)) msg.respond(JSON.stringify(this.answer(verb)));
        });
      }
    }
  }

  private answer(verb: 'PING' | 'INFO' | 'STATS'): Record<string, unknown> {
    const base = { name: this.name, id: this.id, version: this.version, metadata: this.metadata };
    switch (verb) {
      case 'PING':
        return { type: 'io.nats.micro.v1.ping_response', ...base };
      case 'INFO':
        return {
          type: 'io.nats.micro.v1.info_response',
          ...base,
          description: this.description,
          endpoints: this.endpoints.map((e) => ({ name: e.name, subject: e.subject, queue_group: e.queueGroup })),
        };
      case 'STATS':
        return {
          type: 'io.nats.micro.v1.stats_response',
          ...base,
          started: this.started,
          endpoints: this.endpoints.map((e) => ({
            name: e.name,
            subject: e.subject,
            queue_group: e.queueGroup,
            num_requests: e.numRequests,
            num_errors: e.numErrors,
            last_error: e.lastError,
            processing_time: e.processingTimeNs,
            average_processing_time: e.numRequests === 0 ? 0 : Math.round(e.processingTimeNs / e.numRequests),
          })),
        };
    }
  }
}
