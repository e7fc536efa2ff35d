import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import type { NotificationV1 } from '@cleave/contracts';

type Listener = (notification: NotificationV1) => void;

/** An open stream: told of each notification, and ended when this replica stops. */
interface Stream {
  readonly deliver: Listener;
  readonly end: () => void;
}

/** The notification streams open on this gateway replica, by account. */
@Injectable()
export class NotificationHub implements BeforeApplicationShutdown {
  private readonly streams = new Map<string, Set<Stream>>();
  private closed = false;

  /** Returns the function that stops listening. */
  listen(accountId: string, deliver: Listener, end: () => void): () => void {
    // Opened while this replica stops (a client reconnecting too soon): ended at once, or it would hold the server open.
    if (this.closed) {
      end();
      return () => undefined;
    }
    let set = this.streams.get(accountId);
    if (!set) this.streams.set(accountId, (set = new Set()));
    const stream = { deliver, end };
    set.add(stream);
    return () => {
      set.delete(stream);
      if (set.size === 0) this.streams.delete(accountId);
    };
  }

  publish(notification: NotificationV1): void {
    for (const stream of this.streams.get(notification.accountId) ?? []) stream.deliver(notification);
  }

  get openStreams(): number {
    let n = 0;
    for (const set of this.streams.values()) n += set.size;
    return n;
  }

  /**
   * A stream would hold the HTTP server open until its client left: each is ended, with a last event
   * saying why, before the server closes, so the client reconnects to another replica at once.
   */
  beforeApplicationShutdown(): void {
    this.closed = true;
    for (const set of [...this.streams.values()]) for (const stream of [...set]) stream.end();
    this.streams.clear();
  }
}
