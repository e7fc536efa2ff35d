import type { DynamicModule, Type } from '@nestjs/common';

/**
 * Calls `visit` once for each module in a Nest module's tree: the module itself and, depth first, every
 * module it imports, static (`@Module({ imports })`) or dynamic (`forRoot()`-style objects) alike. Read from
 * the decorators' metadata, so it needs no running application.
 */
export function eachModule(root: Type<unknown> | DynamicModule, visit: (module: Type<unknown> | DynamicModule) => void): void {
  const seen = new Set<unknown>();
  const walk = (candidate: unknown): void => {
    if (candidate === undefined || candidate === null || seen.has(candidate)) return;
    seen.add(candidate);
    if (typeof candidate === 'function') {
      visit(candidate as Type<unknown>);
      for (const imported of (Reflect.getMetadata('imports', candidate) as unknown[] | undefined) ?? []) walk(imported);
      return;
    }
    const dynamic = candidate as DynamicModule;
    visit(dynamic);
    walk(dynamic.module);
    for (const imported of dynamic.imports ?? []) walk(imported);
  };
  walk(root);
}
