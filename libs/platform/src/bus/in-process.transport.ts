import type { CallContext } from '../context/call-context';
import { CleaveError, toCleaveError } from '../errors/cleave-error';
import type { InboundDispatcher } from './cleave.server';
import { PendingCalls } from './pending-calls';
import { toWire } from '../validation/wire';

/**
 * Calls between contexts hosted in one process. It keeps the wire's observable semantics: the
 * callee decodes its own copy of the request, the caller gets its own copy of the reply and a freshly built
 * error, values arrive as JSON would carry them, and a slow handler is cut off at the deadline.
 */
export class InProcessTransport {
  private readonly pending = new PendingCalls();

  constructor(private readonly dispatcher: InboundDispatcher) {}

  request(pattern: string, request: unknown, context: CallContext): Promise<unknown> {
    // A call made while Nest is still registering handlers waits for them rather than failing.
    if (!this.dispatcher.isReady) return this.dispatcher.ready.then(() => this.request(pattern, request, context));
    let outcome: unknown;
    try {
      outcome = this.dispatcher.dispatchRequest(pattern, request, context, true);
    } catch (error) {
      return Promise.reject(copyError(toCleaveError(error)));
    }
    if (!(outcome instanceof Promise)) return Promise.resolve(replyCopy(outcome));
    // Only a handler still working needs the deadline watched.
    const { id, result } = this.pending.open(pattern, context.deadline);
    outcome.then(
      (reply) => {
        try {
          this.pending.resolve(id, replyCopy(reply));
        } catch (error) {
          this.pending.reject(id, toCleaveError(error));
        }
      },
      (error: unknown) => this.pending.reject(id, copyError(toCleaveError(error))),
    );
    return result;
  }
}

function replyCopy(reply: unknown): unknown {
  try {
    return toWire(reply);
  } catch (error) {
    throw CleaveError.internal('the reply could not be serialised', error);
  }
}

/** The caller's own error object, as if it had been rebuilt from the wire. */
function copyError(error: CleaveError): CleaveError {
  return CleaveError.fromEnvelope(toWire(error.toEnvelope()));
}
