import { Logger } from '@nestjs/common';
import {
  connect,
  createInbox,
  credsAuthenticator,
  headers as natsHeaders,
  nkeyAuthenticator,
  PermissionViolationError,
  type ConnectionOptions,
  type Msg,
  type NatsConnection,
} from '@nats-io/transport-node';
import { rootContext, type CallContext } from '../context/call-context';
import { newSpanId } from '../context/ids';
import { answeredByCallee } from '../bus/call-policies';
import { CleaveError, toCleaveError } from '../errors/cleave-error';
import { HTTP_STATUS } from '../errors/http-status';
import type { InboundDispatcher, ServingTransport } from '../bus/cleave.server';
import { contextOf } from '../bus/names';
import { PendingCalls } from '../bus/pending-calls';
import { decodeJson, encodeJson } from '../validation/wire';
import { ConfigurationError, type NatsCredentials } from '../config/cleave-config';
import type { PrincipalSeal } from '../security/principal-seal';
import { GuardedSubscriptions } from './guarded-subscriptions';
import { EndpointStats, MicroServiceResponder } from './micro-service';
import { Headers, inboxPrefix, isInbox, requestSubject } from './subjects';
import { contextFieldsOf, contextFromFields, contextToHeaders } from './wire-context';
import { PlatformErrors } from '@cleave/contracts';

export interface NatsTransportOptions {
  readonly url: string;
  /** Who this process is to the NATS server: user and password, a token, an NKey or a creds file. */
  readonly credentials: NatsCredentials;
  /** Subject prefix of this deployment. */
  readonly prefix: string;
  /** This process's role (see `natsRole`): its replies arrive under `_INBOX.<prefix>.<role>`, and only there. */
  readonly role: string;
  /** Seals the principals of outgoing calls and opens those of incoming ones. */
  readonly seal: PrincipalSeal;
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
  /** Requests this process is serving, each answered `timeout` here at its deadline if still at work. */
  private readonly serving = new PendingCalls((pattern) => `${pattern} ran out of its budget before it finished`);
  private readonly inbox: string;
  private connected = true;
  /** The shared reply subscription: lives as long as the connection. */
  private readonly replies: GuardedSubscriptions;
  private served: GuardedSubscriptions | undefined;
  private services: MicroServiceResponder[] = [];

  private constructor(
    private readonly nc: NatsConnection,
    private readonly options: NatsTransportOptions,
  ) {
    this.inbox = createInbox(inboxPrefix(options.prefix, options.role));
    this.replies = new GuardedSubscriptions(nc, this.log);
    this.replies.add(`${this.inbox}.*`, (msg) => this.onReply(msg));
    void this.watchStatus();
  }

  /** Connects, or fails start-up with a message naming what to fix. */
  static async connect(options: NatsTransportOptions): Promise<NatsTransport> {
    try {
      const nc = await connect({
        servers: options.url.split(','),
        name: options.connectionName,
        ...connectionCredentials(options.credentials),
        // JetStream's API answers into this process's own inbox, which no other service may read.
        inboxPrefix: inboxPrefix(options.prefix, options.role),
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        noAsyncTraces: true,
        timeout: 5_000,
      });
      return new NatsTransport(nc, options);
    } catch (error) {
      const message = (error as Error).message;
      if (/authori[sz]ation|authentication/i.test(message)) {
        throw new ConfigurationError(
          `NATS at ${options.url} (NATS_URL) refused this process's credentials: ${message}. ` +
            'Set NATS_USER and NATS_PASSWORD, NATS_TOKEN, NATS_NKEY_SEED or NATS_CREDS (or their *_FILE forms) to the user this service runs as.',
        );
      }
      throw new ConfigurationError(
        `cannot reach NATS at ${options.url} (NATS_URL): ${message}. ` +
          'NATS is needed because this process does not host every context (CLEAVE_SERVICES) or CLEAVE_TRANSPORT=nats.',
      );
    }
  }

  /** True while the connection is up; calls fail fast with `unavailable` while it is not. */
  get isConnected(): boolean {
    return this.connected;
  }

  /**
   * The contexts among these that no running instance answers, found by calling one of each one's patterns
   * with an empty message: any answer (a refusal, even) shows an instance serves it; NATS's no-responders,
   * or no answer within a second, shows none does. Each probe costs its responder a failed decode, no more.
   */
  async silentContexts(patternsByContext: ReadonlyMap<string, string>): Promise<string[]> {
    const silent = await Promise.all(
      [...patternsByContext].map(async ([context, pattern]) => {
        try {
          await this.request(pattern, undefined, rootContext({ timeoutMs: 1_000 }, 1_000));
          return undefined;
        } catch (error) {
          const code = toCleaveError(error).code;
          return code === 'unavailable' || code === 'timeout' ? context : undefined;
        }
      }),
    );
    return silent.filter((c): c is string => c !== undefined);
  }

  /** What stops this transport from working fully: empty when it is connected and every subscription is up. */
  problems(): string[] {
    return [...(this.connected ? [] : ['NATS is unreachable']), ...this.replies.problems(), ...(this.served?.problems() ?? [])];
  }

  /** The underlying connection, for health checks and tests. */
  get connection(): NatsConnection {
    return this.nc;
  }

  request(pattern: string, request: unknown, context: CallContext): Promise<unknown> {
    if (!this.connected)
      return Promise.reject(CleaveError.of(PlatformErrors.natsDisconnected, `NATS is unreachable; cannot call ${pattern}`));
    const data = encodeJson(request);
    // The reply subject carries a secret: a peer that learnt this inbox can't answer another call in it.
    const tag = newSpanId();
    const { id, result } = this.pending.open(pattern, context.deadline, tag);
    try {
      this.nc.publish(requestSubject(this.options.prefix, pattern), data, {
        reply: `${this.inbox}.${id}-${tag}`,
        headers: contextToHeaders(context, this.options.seal),
      });
    } catch (error) {
      this.pending.reject(
        id,
        error instanceof CleaveError ? error : CleaveError.unavailable(`cannot publish ${pattern}: ${(error as Error).message}`),
      );
    }
    return result;
  }

  // Replies are untrusted too: a malformed one fails its call, never the subscription.
  private onReply(msg: Msg): void {
    const token = msg.subject.slice(this.inbox.length + 1);
    const dash = token.indexOf('-');
    const id = Number(token.slice(0, dash));
    if (dash === -1 || !this.pending.expects(id, token.slice(dash + 1))) return;
    const h = msg.headers;
    if (h !== undefined) {
      if (h.has(Headers.ServiceErrorCode)) {
        this.pending.reject(id, () => answeredByCallee(CleaveError.fromEnvelope(safeDecode(msg.data))));
        return;
      }
      if (h.code === 503) {
        this.pending.reject(id, (call) =>
          CleaveError.of(PlatformErrors.noResponders, `no instance of ${contextOf(call.pattern)} is running to answer ${call.pattern}`),
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
    const served = (this.served = new GuardedSubscriptions(this.nc, this.log));
    const byContext = new Map<string, EndpointStats[]>();
    for (const pattern of requests) {
      const context = contextOf(pattern);
      const subject = requestSubject(this.options.prefix, pattern);
      const stats = new EndpointStats(pattern.slice(context.length + 1), subject, context);
      byContext.set(context, [...(byContext.get(context) ?? []), stats]);
      served.add(subject, (msg) => this.onRequest(dispatcher, pattern, msg, stats), context);
    }
    for (const [context, endpoints] of byContext) {
      const service = new MicroServiceResponder(
        served,
        context,
        this.options.version,
        `Cleave ${context} context`,
        { prefix: this.options.prefix },
        endpoints,
      );
      service.start();
      this.services.push(service);
    }
    // Ready means the server has the subscriptions, not just that they were queued.
    await this.nc.flush();
  }

  async stopServing(): Promise<void> {
    this.services = [];
    const served = this.served;
    this.served = undefined;
    await served?.drain();
  }

  private onRequest(dispatcher: InboundDispatcher, pattern: string, msg: Msg, stats: EndpointStats): void {
    if (!isInbox(msg.reply)) return;
    const started = performance.now();
    let context: CallContext;
    let plain: unknown;
    try {
      context = contextFromFields(contextFieldsOf(msg), this.options.defaultTimeoutMs, this.options.seal);
      plain = decodeJson(msg.data);
    } catch (error) {
      const e = error instanceof CleaveError ? error : CleaveError.of(PlatformErrors.badJson, 'the message is not valid JSON');
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
      // Too large to send, it would be dropped with a log line and the caller would wait out its budget.
      const limit = this.nc.info?.max_payload;
      if (limit !== undefined && data.length > limit) {
        this.respondError(
          msg,
          CleaveError.of(
            PlatformErrors.replyTooLarge,
            `the answer is ${data.length} bytes, more than this bank sends at once (${limit}); ask for less, with a smaller limit`,
          ),
        );
        stats.record(started, 'reply too large');
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
    if (!(outcome instanceof Promise)) {
      answer(outcome);
      return;
    }
    // Out of time, this process says so itself while the caller still listens (its budget keeps back the
    // reply's way home): a slow answer shows the caller a live callee, and only silence a dead or frozen one.
    // The handler runs on; what it comes to is dropped, as a caller that gave up would drop it.
    const { id, result } = this.serving.open(pattern, context.deadline);
    outcome.then(
      (reply) => this.serving.resolve(id, reply),
      (error: unknown) => this.serving.reject(id, toCleaveError(error)),
    );
    result.then(answer, fail);
  }

  private respondError(msg: Msg, error: CleaveError): void {
    const h = natsHeaders();
    h.set(Headers.ServiceErrorCode, String(HTTP_STATUS[error.code]));
    // A header value is one line of printable ASCII; the envelope in the body keeps the message whole.
    h.set(Headers.ServiceError, error.message.replace(/[^\x20-\x7e]+/g, ' ').slice(0, 200) || error.code);
    this.safeRespond(msg, encodeJson(error.toEnvelope()), h);
  }

  private safeRespond(msg: Msg, data: Uint8Array, h?: ReturnType<typeof natsHeaders>): void {
    // Answers go to reply inboxes only: a request can't aim this service's answer at the JetStream API.
    if (!isInbox(msg.reply)) return;
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
        case 'error':
          // A call to a subject this process may not publish to: fail it now rather than at its deadline.
          if (status.error instanceof PermissionViolationError && status.error.operation === 'publish')
            this.refusePublish(status.error.subject);
          break;
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

  private refusePublish(subject: string): void {
    const pattern = subject.startsWith(`${this.options.prefix}.req.`) ? subject.slice(this.options.prefix.length + 5) : undefined;
    this.log.error(`NATS refused this process permission to publish to ${subject}`);
    if (pattern === undefined) return;
    this.pending.rejectWhere(
      (call) => call.pattern === pattern,
      () => CleaveError.of(PlatformErrors.notPermitted, `this service may not call ${pattern} (the NATS server refused the publish)`),
    );
  }

  /** Drains the connection: pending replies are delivered, then it closes. */
  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    await this.nc.drain().catch(() => undefined);
    this.pending.rejectAll((call) => CleaveError.unavailable(`the bus closed before ${call.pattern} answered`));
  }
}

/** nats.js's options for the credentials given. */
function connectionCredentials(c: NatsCredentials): Partial<ConnectionOptions> {
  const options: Partial<ConnectionOptions> = {};
  if (c.user !== undefined) options.user = c.user;
  if (c.password !== undefined) options.pass = c.password;
  if (c.token !== undefined) options.token = c.token;
  if (c.nkeySeed !== undefined) options.authenticator = nkeyAuthenticator(new TextEncoder().encode(c.nkeySeed));
  if (c.creds !== undefined) options.authenticator = credsAuthenticator(new TextEncoder().encode(c.creds));
  if (c.tls !== undefined) options.tls = { ca: c.tls.ca, cert: c.tls.cert, key: c.tls.key };
  return options;
}

function safeDecode(data: Uint8Array): unknown {
  try {
    return decodeJson(data);
  } catch {
    return undefined;
  }
}
