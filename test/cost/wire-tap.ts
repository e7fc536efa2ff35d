import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';

/** One message the tap saw. */
interface Seen {
  readonly subject: string;
  readonly reply: string;
  readonly traceIds: readonly string[];
}

/**
 * Every message on a NATS server, as a user allowed to read everything sees it, so a test can count what
 * one request costs on the wire. A message belongs to a trace when it carries the trace's `traceparent`
 * (requests, event publications, JetStream deliveries of them; a run of events in one message carries each
 * event's) or answers one that does (replies, JetStream
 * publish acknowledgements, consumer acks): the trace's whole footprint, without timing windows.
 */
export class WireTap {
  private readonly seen: Seen[] = [];
  private readonly followUps = new Map<string, readonly string[]>();

  private constructor(private readonly nc: NatsConnection) {}

  static async open(url: string, user: string, pass: string): Promise<WireTap> {
    const nc = await connect({ servers: url, user, pass, name: 'wire-tap' });
    const tap = new WireTap(nc);
    nc.subscribe('>', { callback: (_error, m) => tap.record(m) });
    await nc.flush();
    return tap;
  }

  private record(m: Msg): void {
    const traceIds = this.tracesOf(m) ?? this.followUps.get(m.subject) ?? [];
    this.seen.push({ subject: m.subject, reply: m.reply ?? '', traceIds });
    if (traceIds.length > 0 && m.reply) this.followUps.set(m.reply, traceIds);
  }

  /** The traces a message carries: its own header's, or, for a run of events in one message, each event's. */
  private tracesOf(m: Msg): string[] | undefined {
    if (m.headers?.get('cleave-batch')) {
      const entries = m.json<Array<{ traceparent?: string }>>();
      return entries.flatMap((e) => (e.traceparent ? [e.traceparent.split('-')[1]!] : []));
    }
    const traceparent = m.headers?.get('traceparent');
    return traceparent ? [traceparent.split('-')[1]!] : undefined;
  }

  /** A position to count from. */
  mark(): number {
    return this.seen.length;
  }

  /** Messages since `from` that belong to one of these traces (a message serving several is counted once). */
  messagesOf(traces: ReadonlySet<string>, from = 0): Seen[] {
    return this.seen.slice(from).filter((m) => m.traceIds.some((id) => traces.has(id)));
  }

  /** How many of these traces have an event on a subject ending `suffix` published since `from`. */
  tracesWithEvent(traces: ReadonlySet<string>, suffix: string, from = 0): number {
    const seen = new Set<string>();
    for (const m of this.seen.slice(from)) if (m.subject.endsWith(suffix)) for (const id of m.traceIds) if (traces.has(id)) seen.add(id);
    return seen.size;
  }

  /** Pull requests and their heartbeats since `from`: the consumers' flow control, which no trace owns. */
  flowSince(from: number): number {
    return this.seen.slice(from).filter((m) => m.subject.startsWith('$JS.API.CONSUMER.MSG.NEXT.')).length;
  }

  /** Resolves once every consumer of the stream has acknowledged everything the stream holds. */
  async drained(stream: string, timeoutMs = 20_000): Promise<void> {
    const jsm = await jetstreamManager(this.nc);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const consumers = await jsm.consumers.list(stream).next();
      if (consumers.every((c) => c.num_pending === 0 && c.num_ack_pending === 0)) {
        await this.nc.flush();
        return;
      }
      if (Date.now() > deadline)
        throw new Error(
          `the consumers of ${stream} never caught up: ${JSON.stringify(consumers.map((c) => [c.name, c.num_pending, c.num_ack_pending]))}`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async close(): Promise<void> {
    await this.nc.close();
  }
}
