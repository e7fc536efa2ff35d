import { Injectable } from '@nestjs/common';
import type { NotificationV1 } from '@cleave/contracts';

type Listener = (notification: NotificationV1) => void;

/** The notification streams open on this gateway replica, by account. */
@Injectable()
export class NotificationHub {
  private readonly listeners = new Map<string, Set<Listener>>();

  /** Returns the function that stops listening. */
  listen(accountId: string, listener: Listener): () => void {
    let set = this.listeners.get(accountId);
    if (!set) this.listeners.set(accountId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(accountId);
    };
  }

  publish(notification: NotificationV1): void {
    for (const listener of this.listeners.get(notification.accountId) ?? []) listener(notification);
  }

  get openStreams(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }
}
