import type { Type } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE, DiscoveryService, MetadataScanner, ModulesContainer } from '@nestjs/core';

/** A handler method that can be called as it stands: Nest's wrapper would add nothing around it. */
export interface DirectHandler {
  readonly instance: object;
  readonly method: (input: unknown, context: unknown) => unknown;
}

// Nest's metadata keys (@nestjs/common and @nestjs/microservices constants).
const PATTERN_METADATA = 'microservices:pattern';
const PATTERN_HANDLER_METADATA = 'microservices:handler_type';
const PATTERN_EXTRAS_METADATA = 'microservices:pattern_extras';
const ENHANCER_METADATA = ['__guards__', '__interceptors__', '__pipes__', '__exceptionFilters__', '__routeArguments__'];
const EVENT_HANDLER = 2;
const GLOBAL_ENHANCERS = [APP_GUARD, APP_INTERCEPTOR, APP_PIPE, APP_FILTER];

/**
 * Finds the handler methods Cleave may call directly. Nest wraps every `@MessagePattern` in a chain of
 * async steps (guards, interceptors, pipes, exception filters) that costs several promises a call even
 * when empty; a handler with none of them, and no global ones, is called straight. Any enhancer sends
 * every handler back through Nest's own wrapper, so behaviour never differs.
 */
export function findDirectHandlers(
  discovery: DiscoveryService,
  scanner: MetadataScanner,
  modules: ModulesContainer,
): { requests: Map<string, DirectHandler>; events: Map<string, DirectHandler> } {
  const requests = new Map<string, DirectHandler>();
  const events = new Map<string, DirectHandler>();
  if (hasGlobalEnhancers(modules)) return { requests, events };
  for (const wrapper of discovery.getControllers()) {
    const instance = wrapper.instance as Record<string, unknown> | undefined;
    if (!instance || !wrapper.isDependencyTreeStatic()) continue;
    const classType = instance.constructor as Type<unknown>;
    const classEnhanced = ENHANCER_METADATA.some((key) => Reflect.getMetadata(key, classType) !== undefined);
    for (const name of scanner.getAllMethodNames(Object.getPrototypeOf(instance))) {
      const method = instance[name] as ((input: unknown, context: unknown) => unknown) | undefined;
      if (typeof method !== 'function') continue;
      const patterns = Reflect.getMetadata(PATTERN_METADATA, method) as unknown[] | undefined;
      if (!patterns || patterns.length !== 1 || typeof patterns[0] !== 'string') continue;
      if (
        classEnhanced ||
        ENHANCER_METADATA.some(
          (key) => Reflect.getMetadata(key, classType, name) !== undefined || Reflect.getMetadata(key, method) !== undefined,
        )
      )
        continue;
      const handler: DirectHandler = { instance, method };
      if (Reflect.getMetadata(PATTERN_HANDLER_METADATA, method) === EVENT_HANDLER) {
        const extras = Reflect.getMetadata(PATTERN_EXTRAS_METADATA, method) as { context?: string } | undefined;
        if (extras?.context) events.set(`${patterns[0]}\u0000${extras.context}`, handler);
      } else {
        requests.set(patterns[0], handler);
      }
    }
  }
  return { requests, events };
}

function hasGlobalEnhancers(modules: ModulesContainer): boolean {
  for (const module of modules.values()) {
    for (const token of module.providers.keys()) {
      if (typeof token === 'string' && GLOBAL_ENHANCERS.some((g) => token.startsWith(g))) return true;
    }
  }
  return false;
}
