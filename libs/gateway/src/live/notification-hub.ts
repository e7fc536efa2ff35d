import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import type { NotificationV1 } from '@cleave/contracts';
import { Metrics } from '@cleave/platform';
import { TokenCache } from '../auth/token-cache';

type Listener = (notification: NotificationV1) => void;

/** An open stream: told of each notification, ended when this replica stops or its token is revoked. */
interface Stream {
  readonly accessTokenHash: string;
  /** Who opened it: accounts cost nothing to open, so a cap per account alone caps no one. */
  readonly customerId: string;
  readonly deliver: Listener;
  /** This replica is stopping: the client should come back to another. */
  readonly end: () => void;
  /** The token the stream was opened with no longer holds: the client must not come back with it. */
  readonly revoke: (reason: 'token_revoked' | 'token_expired') => void;
}

/** The notification streams open on this gateway replica, by account. */
@Injectable()
export class NotificationHub implements BeforeApplicationShutdown {
  private readonly streams = new Map<string, Set<Stream>>();
  // By token too: a revocation, which every replica hears, ended streams by walking them all.
  private readonly streamsByToken = new Map<string, Set<Stream>>();
  private readonly streamsByCustomer = new Map<string, Set<Stream>>();
  private closed = false;
  private open = 0;

  constructor(tokens: TokenCache, metrics: Metrics) {
    // A stream was checked once, when it opened: a stolen token logged out kept hearing the victim's spending.
    tokens.onRevoked((hash) => this.revokeToken(hash));
    const openStreams = () => this.openStreams;
    metrics.gauge({
      name: 'cleave_notification_streams_open',
      help: 'Notification streams (GET /notifications/stream) open on this gateway replica.',
      collect() {
        this.set(openStreams());
      },
    });
  }

  /** Returns the function that stops listening. */
  listen(accountId: string, stream: Stream): () => void {
    // Opened while this replica stops (a client reconnecting too soon): ended at once, or it would hold the server open.
    if (this.closed) {
      stream.end();
      return () => undefined;
    }
    const unlist = [
      add(this.streams, accountId, stream),
      add(this.streamsByToken, stream.accessTokenHash, stream),
      add(this.streamsByCustomer, stream.customerId, stream),
    ];
    this.open++;
    let listening = true;
    return () => {
      if (!listening) return;
      listening = false;
      this.open--;
      for (const remove of unlist) remove();
    };
  }

  publish(notification: NotificationV1): void {
    for (const stream of this.streams.get(notification.accountId) ?? []) stream.deliver(notification);
  }

  /** Ends every stream opened with a token now revoked. */
  revokeToken(accessTokenHash: string): void {
    for (const stream of [...(this.streamsByToken.get(accessTokenHash) ?? [])]) stream.revoke('token_revoked');
  }

  /** Streams open on this replica for one account. */
  streamsOf(accountId: string): number {
    return this.streams.get(accountId)?.size ?? 0;
  }

  /** Streams open on this replica for one customer, across their accounts. */
  streamsOfCustomer(customerId: string): number {
    return this.streamsByCustomer.get(customerId)?.size ?? 0;
  }

  get openStreams(): number {
    return this.open;
  }

  /**
   * A stream would hold the HTTP server open until its client left: each is ended, with a last event
   * saying why, before the server closes, so the client reconnects to another replica at once.
   */
  beforeApplicationShutdown(): void {
    this.closed = true;
    for (const set of [...this.streams.values()]) for (const stream of [...set]) stream.end();
    this.streams.clear();
    this.streamsByToken.clear();
    this.streamsByCustomer.clear();
  }
}

/** Adds a stream to its key's set; returns what takes it out again. */
function add(index: Map<string, Set<Stream>>, key: string, stream: Stream): () => void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(stream);
  return () => {
    set.delete(stream);
    if (set.size === 0 && index.get(key) === set) index.delete(key);
  };
}
