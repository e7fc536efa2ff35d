import type { CallPolicySettings } from '../config/cleave-config';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BrokenCircuitError,
  BulkheadRejectedError,
  bulkhead,
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  handleWhen,
  wrap,
  type BulkheadPolicy,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import { CleaveError } from '../errors/cleave-error';
import type { Metrics } from '../observability/metrics';
import { PlatformErrors } from '@cleave/contracts';

/** What a call is, for deciding whether it may be repeated. */
export interface CallShape {
  readonly pattern: string;
  readonly context: string;
  readonly kind: 'query' | 'command';
  /** The key this call was given by its caller (not one inherited from the call tree, which may dedupe nothing). */
  readonly idempotencyKey: string | undefined;
  readonly deadline: number;
}

/** A retry must leave the try itself at least this much of the budget. */
const MIN_BUDGET_FOR_RETRY_MS = 50;
const FIRST_BACKOFF_MS = 20;
/** Retries allowed per second: at least this many, or this share of the calls made. */
const RETRY_FLOOR_PER_SECOND = 10;
const RETRY_SHARE = 0.1;

const STATE_VALUE: Readonly<Record<CircuitState, number>> = {
  [CircuitState.Closed]: 0,
  [CircuitState.HalfOpen]: 1,
  [CircuitState.Open]: 2,
  [CircuitState.Isolated]: 2,
};

const ANSWERED = new WeakSet<CleaveError>();
/** Timeouts of calls sent with too little budget to say anything of the destination. */
const STARVED = new WeakSet<CleaveError>();
/** Timeouts of calls the destination outlived, answering others meanwhile: it was alive, the call was slow. */
const OUTLIVED = new WeakSet<CleaveError>();
/**
 * A call sent with less than this left that times out says nothing of its destination: a client asking for
 * a 3 ms budget must not be able to open the circuit everyone else's calls pass.
 */
const MIN_BUDGET_TO_BLAME_MS = 250;

/** Marks an error the callee sent back, as opposed to one raised here (no answer in time, nobody to ask). */
export function answeredByCallee(error: CleaveError): CleaveError {
  ANSWERED.add(error);
  return error;
}

/**
 * A failure that says the destination is down, slow or overloaded, rather than that the request was wrong.
 * An error the callee answered with counts only when it speaks of the callee itself (it shed the request):
 * its `timeout` or `unavailable` may be relayed from a context further on, which is not the callee's fault.
 */
function isTransient(error: unknown): boolean {
  if (!(error instanceof CleaveError) || STARVED.has(error) || OUTLIVED.has(error)) return false;
  if (ANSWERED.has(error)) return error.is(PlatformErrors.overloaded);
  return error.code === 'timeout' || error.code === 'unavailable';
}

/**
 * Retries take at most a share of the calls (plus a floor) in each second, so that when a destination is in
 * trouble, retries don't multiply the load that put it there.
 */
class RetryBudget {
  private second = 0;
  private calls = 0;
  private retries = 0;

  called(now: number): void {
    this.roll(now);
    this.calls++;
  }

  tryRetry(now: number): boolean {
    this.roll(now);
    if (this.retries >= Math.max(RETRY_FLOOR_PER_SECOND, this.calls * RETRY_SHARE)) return false;
    this.retries++;
    return true;
  }

  private roll(now: number): void {
    const second = Math.floor(now / 1_000);
    if (second !== this.second) {
      this.second = second;
      this.calls = 0;
      this.retries = 0;
    }
  }
}

interface Destination {
  /** Answers of any kind the destination has sent: each proves it alive at that moment. */
  answers: number;
  readonly breaker: CircuitBreakerPolicy;
  readonly bulkhead: BulkheadPolicy;
  readonly guarded: ReturnType<typeof wrap>;
}

/**
 * Calls to contexts in other processes, guarded per destination context by cockatiel's policies: a circuit
 * breaker that opens on consecutive timeouts or unavailable answers (timeouts only while the destination
 * answers nothing else) and then answers `unavailable` at once
 * (probing half-open after a while), a bulkhead that bounds the calls in flight, and retries with jittered
 * backoff of timed-out calls that are safe to repeat (queries, commands given an idempotency key), only
 * within the call's deadline and a retry budget. In-process calls are not
 * guarded: their callee can't be unreachable, and a slow one is bounded by the deadline.
 */
export class CallPolicies {
  private readonly destinations = new Map<string, Destination>();
  private readonly budget = new RetryBudget();
  private readonly retried;
  private readonly refused;

  constructor(
    private readonly settings: CallPolicySettings,
    metrics: Metrics,
  ) {
    const destinations = this.destinations;
    metrics.gauge({
      name: 'cleave_bus_circuit_state',
      help: 'The circuit breaker of calls to each context: 0 closed, 1 half-open (probing), 2 open (refusing).',
      labelNames: ['context'] as const,
      collect() {
        for (const [context, d] of destinations) this.labels(context).set(STATE_VALUE[d.breaker.state]);
      },
    });
    this.retried = metrics.counter({
      name: 'cleave_bus_retries_total',
      help: 'Bus calls tried again after a transient failure.',
      labelNames: ['pattern'] as const,
    });
    this.refused = metrics.counter({
      name: 'cleave_bus_refused_total',
      help: 'Bus calls refused at once by this process, by destination and why: circuit_open or bulkhead_full.',
      labelNames: ['context', 'reason'] as const,
    });
  }

  /** Open circuits, by destination context: for readiness details. */
  openCircuits(): string[] {
    return [...this.destinations]
      .filter(([, d]) => d.breaker.state === CircuitState.Open || d.breaker.state === CircuitState.HalfOpen)
      .map(([c]) => c);
  }

  /**
   * A probe outside these policies found `context` answering: an open (or half-open) circuit to it closes
   * at once, rather than refusing calls until it half-opens and a call happens to probe it.
   */
  heardFrom(context: string): void {
    const destination = this.destinations.get(context);
    if (destination === undefined || destination.breaker.state === CircuitState.Closed) return;
    // cockatiel's breaker can't be closed from outside: a new one, behind the same bulkhead (calls in flight still count).
    this.destinations.set(context, this.newDestination(destination.bulkhead));
  }

  async call<T>(shape: CallShape, send: () => Promise<T>): Promise<T> {
    const destination = this.destinationOf(shape.context);
    this.budget.called(Date.now());
    const sent = (): Promise<T> => {
      const budgetMs = shape.deadline - Date.now();
      const answersBefore = destination.answers;
      return send().then(
        (answer) => {
          destination.answers++;
          return answer;
        },
        (error: unknown) => {
          if (error instanceof CleaveError) {
            if (ANSWERED.has(error)) destination.answers++;
            else if (error.code === 'timeout' && budgetMs < MIN_BUDGET_TO_BLAME_MS) STARVED.add(error);
            // Answering other calls meanwhile, the destination was alive: the slowness was this call's own (a
            // queue on one hot account, say), and a burst on one balance must not open the circuit every
            // other payment passes.
            else if (error.code === 'timeout' && destination.answers > answersBefore) OUTLIVED.add(error);
          }
          throw error;
        },
      );
    };
    for (let attempt = 0; ; attempt++) {
      try {
        // Half-open, cockatiel holds every call behind its probe, whatever the call's own deadline (a chaos
        // drill saw authorisations with 2 s to decide wait 4.9 s behind a presentment's probe): refused at once.
        if (destination.breaker.state === CircuitState.HalfOpen) throw new BrokenCircuitError();
        return (await destination.guarded.execute(sent)) as T;
      } catch (error) {
        const failure = this.refusal(error, shape.context) ?? error;
        if (attempt >= this.settings.retries || !this.repeatable(shape, failure)) throw failure;
        const backoff = FIRST_BACKOFF_MS * 2 ** attempt * (0.5 + Math.random());
        if (shape.deadline - Date.now() < backoff + MIN_BUDGET_FOR_RETRY_MS || !this.budget.tryRetry(Date.now())) throw failure;
        this.retried.labels(shape.pattern).inc();
        await sleep(backoff);
      }
    }
  }

  /**
   * Only a timeout is worth another try, and only of a call safe to repeat: another replica may answer, or
   * the reply was lost. Nobody subscribed, NATS down, an open circuit, a full bulkhead or a callee shedding
   * load won't have changed in a few milliseconds, and a retry would only spend the budget the caller needs
   * for what it does next (the gateway: recording that the network was told "declined").
   */
  private repeatable(shape: CallShape, error: unknown): boolean {
    return (
      error instanceof CleaveError &&
      error.code === 'timeout' &&
      !STARVED.has(error) &&
      (shape.kind === 'query' || shape.idempotencyKey !== undefined)
    );
  }

  private refusal(error: unknown, context: string): CleaveError | undefined {
    if (error instanceof BrokenCircuitError) {
      this.refused.labels(context, 'circuit_open').inc();
      return CleaveError.of(
        PlatformErrors.circuitOpen,
        `${context} keeps failing; calls to it are held back for up to ${this.settings.breakerHalfOpenMs} ms`,
      );
    }
    if (error instanceof BulkheadRejectedError) {
      this.refused.labels(context, 'bulkhead_full').inc();
      return CleaveError.of(PlatformErrors.bulkheadFull, `${this.settings.maxOutstanding} calls to ${context} are already in flight`);
    }
    return undefined;
  }

  private destinationOf(context: string): Destination {
    let destination = this.destinations.get(context);
    if (destination === undefined) {
      destination = this.newDestination(bulkhead(this.settings.maxOutstanding, 0));
      this.destinations.set(context, destination);
    }
    return destination;
  }

  private newDestination(limit: BulkheadPolicy): Destination {
    const breaker = circuitBreaker(handleWhen(isTransient), {
      halfOpenAfter: this.settings.breakerHalfOpenMs,
      breaker: new ConsecutiveBreaker(this.settings.breakerFailures),
    });
    return { answers: 0, breaker, bulkhead: limit, guarded: wrap(limit, breaker) };
  }
}
