import type { DynamicModule, Type } from '@nestjs/common';
import { EventPattern, MessagePattern } from '@nestjs/microservices';
import { eachModule } from './module-tree';
import type { CallContext } from '../context/call-context';
import type { CleaveEvents, CleaveRequests, EventMap, RequestMap } from '@cleave/contracts';

/** Marks a method as the handler of a request pattern: `@Handles(LedgerPatterns.GetBalance)`. */
export function Handles<M extends RequestMap = CleaveRequests>(pattern: keyof M & string) {
  return MessagePattern(pattern);
}

/** How an event reaches a context's handler. */
export interface EventHandlerExtras {
  /**
   * `every-replica`: each running replica of the context gets the event, live and best effort (no retries,
   * nothing kept for a replica that is down): for in-memory state such as caches and open streams.
   */
  readonly delivery?: 'once-per-context' | 'every-replica';
}

/**
 * Marks a method as a handler of an event: by default its context gets every event once, durably, shared
 * among the context's replicas. The context is the one whose module holds the handler's controller.
 */
export function OnEvent<M extends EventMap = CleaveEvents>(event: keyof M & string, extras: EventHandlerExtras = {}) {
  return EventPattern(event, { ...extras });
}

/**
 * An event as a handler of runs ({@link OnEvents}) is given it: its payload, and the call context it would
 * have been handled in alone (its trace, and its id, the key of anything kept once per event).
 */
export interface DeliveredEvent<T> {
  readonly payload: T;
  readonly context: CallContext;
}

/**
 * Marks a method as the handler of runs of an event: `(events: readonly DeliveredEvent<T>[])`, the events
 * of one name that arrived together (one or more, in order). For handlers whose statements can take many
 * rows at once. The handler applies a run all or nothing (in a transaction of its own: it joins the batch's
 * when its run shares one with other events, and is given none when the run is all that arrived); should
 * it fail, the events are given to it again one at a time, each with its own retries and dead letter.
 * Delivered once per context, as {@link OnEvent}'s default.
 */
export function OnEvents<M extends EventMap = CleaveEvents>(event: keyof M & string) {
  return EventPattern(event, { runs: true });
}

// Nest's metadata keys (@nestjs/common and @nestjs/microservices constants).
const CONTROLLERS_METADATA = 'controllers';
const PATTERN_HANDLER_METADATA = 'microservices:handler_type';
const PATTERN_EXTRAS_METADATA = 'microservices:pattern_extras';
const EVENT_HANDLER = 2;

/**
 * Gives every event handler in each context's module (and the modules it imports) the context's name,
 * which names its consumer group and its inbox. Runs before Nest registers the handlers.
 */
export function assignEventHandlers(contexts: ReadonlyArray<readonly [string, Type<unknown> | DynamicModule]>): void {
  const owners = new Map<Function, string>();
  for (const [context, module] of contexts) {
    for (const controller of controllersOf(module)) {
      const owner = owners.get(controller);
      if (owner !== undefined && owner !== context) {
        throw new Error(`${controller.name} is a controller of both ${owner} and ${context}: a handler belongs to one context`);
      }
      owners.set(controller, context);
      const prototype = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const method = Object.getOwnPropertyDescriptor(prototype, name)?.value as unknown;
        if (typeof method !== 'function' || Reflect.getMetadata(PATTERN_HANDLER_METADATA, method) !== EVENT_HANDLER) continue;
        const extras = (Reflect.getMetadata(PATTERN_EXTRAS_METADATA, method) as Record<string, unknown> | undefined) ?? {};
        Reflect.defineMetadata(PATTERN_EXTRAS_METADATA, { ...extras, context }, method);
      }
    }
  }
}

/** The controllers a module declares, its own and those of every module it imports. */
function controllersOf(root: Type<unknown> | DynamicModule): Function[] {
  const found: Function[] = [];
  eachModule(root, (module) => {
    if (typeof module === 'function') found.push(...((Reflect.getMetadata(CONTROLLERS_METADATA, module) as Function[] | undefined) ?? []));
    else found.push(...(module.controllers ?? []));
  });
  return found;
}
