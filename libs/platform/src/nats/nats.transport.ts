import { Logger } from '@nestjs/common';
import {
  connect,
  createInbox,
  headers as natsHeaders,
  type Msg,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';
import type { CallContext } from '../context/call-context';
import { CleaveError, toCleaveError } from '../errors/cleave-error';
import { HTTP_STATUS } from '../errors/http-status';
import type { InboundDispatcher, ServingTransport } from '../bus/cleave.server';
import { contextOf } from '../bus/contract-registry';
import { PendingCalls } from '../bus/pending-calls';
import { decodeJson, encodeJson } from '../bus/wire';
import { ConfigurationError } from '../config/cleave-config';
import { EndpointStats, MicroServiceResponder } from './micro-service';
import { Headers, requestSubject } from './subjects';
import { contextFieldsOf, contextFromFields, contextToHeaders } from './wire-context';

export interface NatsTransportOptions {
  readonly url: string;
  readonly user?: string;
  readonly password?: string;
  /** Subject prefix of this deployment. */
  readonly prefix: string;
  /** Names the connection in `nats server report connections`. */
  readonly connectionName: string;
  /** Budget of a request that arrives without one. */
  readonly defaultTimeoutMs: number;
  /** Budget of one event handler run. */
  readonly eventTimeoutMs: number;
  /** Reported by `$SRV.INFO`. */
  readonly version: string;
}

/**
 * Request/reply and events over core NATS. Requests go out with one shared reply subscription and an
 * id → pending map (no subscription or timer per request); each context's replicas form one queue group, so
 * NATS discovers and balances them; a context with no running instance answers at once through NATS's
 * no-responders status.
 */
export class NatsTransport implements ServingTransport {
  private readonly log = new Logger('NatsTransport');
  private readonly pending = new PendingCalls();
  private readonly inbox: string;
  private connected = true;
  private served: Subscription[] = [];
  private services: MicroServiceResponder[] = [];

  private constructor(
    private readonly nc: NatsConnection,
    private readonly options: NatsTransportOptions,
  ) {
    this.inbox = createInbox();
    nc.subscribe(`${this.inbox}.*`, { callback: (err, msg) => {
      if (!err) this.onReply(msg);
    } });
    void this.watchStatus();
  }

  /** Connects, or fails start-up with a message naming NATS_URL. */
  static async connect(options: NatsTransportOptions): Promise<NatsTransport> {
    try {
      const nc = await connect({
        servers: options.url.split(','),
        name: options.connectionName,
        user: options.user,
        pass: options.password,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        noAsyncTraces: true,
        timeout: 5_000,
      });
      return new NatsTransport(nc, options);
    } catch (error) {
      throw new ConfigurationError(
        `cannot reach NATS at ${options.url} (NATS_URL): ${(error as Error).message}. ` +
          'NATS is needed because this process does not host every context (CLEAVE_SERVICES) or CLEAVE_TRANSPORT=nats.',
      );
    }
  }

  /** True while the connection is up; calls fail fast with `unavailable` while it is not. */
  get isConnected(): boolean {
    return this.connected;
  }

  /** The underlying connection, for health checks and tests. */
  get connection(): NatsConnection {
    return this.nc;
  }

  request(pattern: string, request: unknown, context: CallContext): Promise<unknown> {
    if (!this.connected) return Promise.reject(CleaveError.unavailable(`NATS is unreachable; cannot call ${pattern}`, 'nats_disconnected'));
    const data = encodeJson(request);
    const { id, result } = this.pending.open(pattern, context.deadline);
    try {
      this.nc.publish(requestSubject(this.options.prefix, pattern), data, {
        reply: `${this.inbox}.${id}`,
        headers: contextToHeaders(context, true),
      });
    } catch (error) {
      this.pending.reject(id, CleaveError.unavailable(`cannot publish ${pattern}: ${(error as Error).message}`));
    }
    return result;
  }

  private onReply(msg: Msg): void {
    const id = Number(msg.subject.slice(this.inbox.length + 1));
    const h = msg.headers;
    if (h !== undefined) {
      if (h.has(Headers.ServiceErrorCode)) {
        this.pending.reject(id, () => CleaveError.fromEnvelope(safeDecode(msg.data)));
        return;
      }
      if (h.code === 503) {
        this.pending.reject(id, (call) =>
          CleaveError.unavailable(`no instance of ${contextOf(call.pattern)} is running to answer ${call.pattern}`, 'no_responders'),
        );
        return;
      }
    }
    let reply: unknown;
    try {
      reply = decodeJson(msg.data);
    } catch (error) {
      this.pending.reject(id, CleaveError.internal('the reply was not valid JSON', error));
      return;
    }
    this.pending.resolve(id, reply);
  }

  async serve(dispatcher: InboundDispatcher, requests: readonly string[]): Promise<void> {
    const byContext = new Map<string, EndpointStats[]>();
    for (const pattern of requests) {
      const context = contextOf(pattern);
      const subject = requestSubject(this.options.prefix, pattern);
      const stats = new EndpointStats(pattern.slice(context.length + 1), subject, context);
      byContext.set(context, [...(byContext.get(context) ?? []), stats]);
      this.served.push(
        this.nc.subscribe(subject, {
          queue: context,
          callback: (err, msg) => {
            if (!err) this.onRequest(dispatcher, pattern, msg, stats);
          },
        }),
      );
    }
    for (const [context, endpoints] of byContext) {
      const service = new MicroServiceResponder(this.nc, context, this.options.version, `Cleave ${context} context`, { prefix: this.options.prefix }, endpoints);
      service.start();
      this.services.push(service);
    }
    // Ready means the server has the subscriptions, not just that they were queued.
    await this.nc.flush();
  }

  async stopServing(): Promise<void> {
    for (const service of this.services) service.stop();
    this.services = [];
    const served = this.served;
    this.served = [];
    if (this.nc.isClosed()) return;
    await Promise.all(served.map((s) => s.drain().catch(() => undefined)));
  }

  private onRequest(dispatcher: InboundDispatcher, pattern: string, msg: Msg, stats: EndpointStats): void {
    if (!msg.reply) return;
    const started = performance.now();
    let context: CallContext;
    let plain: unknown;
    try {
      context = contextFromFields(contextFieldsOf(msg), this.options.defaultTimeoutMs);
      plain = decodeJson(msg.data);
    } catch (error) {
      const e = error instanceof CleaveError ? error : CleaveError.badRequest('the message is not valid JSON', 'bad_json');
      this.respondError(msg, e);
      stats.record(started, e.message);
      return;
    }
    const answer = (reply: unknown) => {
      let data: Uint8Array;
      try {
        data = encodeJson(reply);
      } catch (error) {
        this.respondError(msg, CleaveError.internal('the reply could not be serialised', error));
        stats.record(started, 'reply not serialisable');
        return;
      }
      this.safeRespond(msg, data);
      stats.record(started);
    };
    const fail = (error: unknown) => {
      const e = toCleaveError(error);
      this.respondError(msg, e);
      stats.record(started, `${e.code}: ${e.message}`);
    };
    let outcome: unknown;
    try {
      outcome = dispatcher.dispatchRequest(pattern, plain, context);
    } catch (error) {
      fail(error);
      return;
    }
    if (outcome instanceof Promise) outcome.then(answer, fail);
    else answer(outcome);
  }

  private respondError(msg: Msg, error: CleaveError): void {
    const h = natsHeaders();
    h.set(Headers.ServiceErrorCode, String(HTTP_STATUS[error.code]));
    h.set(Headers.ServiceError, error.message.replace(/[\r\n]+/g, ' '));
    this.safeRespond(msg, encodeJson(error.toEnvelope()), h);
  }

  private safeRespond(msg: Msg, data: Uint8Array, h?: ReturnType<typeof natsHeaders>): void {
    try {
      msg.respond(data, h === undefined ? undefined : { headers: h });
    } catch (error) {
      // The connection is closing; the caller will see its deadline pass.
      this.log.warn(`could not reply on ${msg.subject}: ${(error as Error).message}`);
    }
  }

  private async watchStatus(): Promise<void> {
    for await (const status of this.nc.status()) {
      switch (status.type) {
        case 'disconnect':
          this.connected = false;
          this.log.warn(`disconnected from NATS (${status.server}); calls to other services fail fast until it is back`);
          break;
        case 'reconnect':
          this.connected = true;
          this.log.log(`reconnected to NATS (${status.server})`);
          break;
        default:
          break;
      }
    }
  }

  /** Drains the connection: pending replies are delivered, then it closes. */
  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    await this.nc.drain().catch(() => undefined);
    this.pending.rejectAll((call) => CleaveError.unavailable(`the bus closed before ${call.pattern} answered`));
  }
}

function safeDecode(data: Uint8Array): unknown {
  try {
    return decodeJson(data);
  } catch {
    return undefined;
  }
}
