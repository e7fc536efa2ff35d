import { CleaveError } from '../errors/cleave-error';

/** One call waiting for its reply. */
export interface PendingCall {
  readonly deadline: number;
  readonly pattern: string;
  /** A secret its reply must name, where replies could be forged (over NATS). */
  readonly tag: string;
  resolve(value: unknown): void;
  reject(error: CleaveError): void;
}

const SWEEP_INTERVAL_MS = 10;

/**
 * Calls waiting for a reply, keyed by id, each failed with `timeout` at its deadline. One sweep timer
 * serves them all, so a call costs a map entry rather than a timer of its own; a deadline is honoured
 * within {@link SWEEP_INTERVAL_MS}.
 */
export class PendingCalls {
  private readonly calls = new Map<number, PendingCall>();
  private timer: NodeJS.Timeout | undefined;
  private nextId = 0;

  constructor(private readonly lateMessage = (pattern: string) => `${pattern} did not answer before the deadline`) {}

  get size(): number {
    return this.calls.size;
  }

  /** Registers a call and returns its id with the promise of its outcome. */
  open(pattern: string, deadline: number, tag = ''): { id: number; result: Promise<unknown> } {
    // Numeric ids: a Map hashes small integers faster than fresh strings.
    const id = this.nextId++;
    const result = new Promise<unknown>((resolve, reject) => {
      this.calls.set(id, { deadline, pattern, tag, resolve, reject });
    });
    this.timer ??= setInterval(() => this.sweep(), SWEEP_INTERVAL_MS).unref();
    return { id, result };
  }

  /** True when call `id` is waiting and `tag` is its secret. */
  expects(id: number, tag: string): boolean {
    return this.calls.get(id)?.tag === tag;
  }

  /** Settles a call with its reply; false when it had already timed out or been settled. */
  resolve(id: number, value: unknown): boolean {
    const call = this.take(id);
    call?.resolve(value);
    return call !== undefined;
  }

  /** Fails a call; false when it had already timed out or been settled. */
  reject(id: number, error: CleaveError | ((call: PendingCall) => CleaveError)): boolean {
    const call = this.take(id);
    if (call === undefined) return false;
    call.reject(typeof error === 'function' ? error(call) : error);
    return true;
  }

  /** Fails the waiting calls that `match`. */
  rejectWhere(match: (call: PendingCall) => boolean, error: (call: PendingCall) => CleaveError): void {
    for (const [id, call] of [...this.calls]) {
      if (!match(call)) continue;
      this.take(id);
      call.reject(error(call));
    }
  }

  /** Fails every waiting call, e.g. when the transport closes. */
  rejectAll(error: (call: PendingCall) => CleaveError): void {
    for (const id of [...this.calls.keys()]) {
      const call = this.take(id)!;
      call.reject(error(call));
    }
  }

  private take(id: number): PendingCall | undefined {
    const call = this.calls.get(id);
    if (call === undefined) return undefined;
    this.calls.delete(id);
    return call;
  }

  private sweep(): void {
    // Stopped here rather than when the map empties: at one call at a time it empties after every call.
    if (this.calls.size === 0) {
      this.stop();
      return;
    }
    const now = Date.now();
    for (const [id, call] of this.calls) {
      if (call.deadline <= now) {
        this.take(id);
        call.reject(CleaveError.timeout(this.lateMessage(call.pattern)));
      }
    }
  }

  private stop(): void {
    if (this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
