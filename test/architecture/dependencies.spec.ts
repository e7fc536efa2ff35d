import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CleaveDependencies, CleaveEvents, CleaveRequests } from '@cleave/contracts';
import { contextOf } from '@cleave/platform';
import { describe, expect, it } from 'vitest';
import * as contracts from '@cleave/contracts';

/** Every `.ts` file under a directory. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') ? [path] : [];
  });
}

/** `AccountsPatterns.GetAccount` → `accounts.get-account`, from the contracts' own constants. */
function resolve(constant: string, member: string): string | undefined {
  const table = (contracts as unknown as Record<string, Record<string, string> | undefined>)[constant];
  return table?.[member];
}

/** The other contexts' patterns and events a context's source names, by the contracts' constants. */
function referencedBy(context: string): { patterns: Set<string>; events: Set<string> } {
  const patterns = new Set<string>();
  const events = new Set<string>();
  for (const file of sources(join('libs', context, 'src'))) {
    for (const [, constant, member] of readFileSync(file, 'utf8').matchAll(/\b([A-Z][A-Za-z]*(?:Patterns|EventNames))\.([A-Za-z]+)\b/g)) {
      const name = resolve(constant!, member!);
      if (name === undefined || contextOf(name) === context) continue;
      (constant!.endsWith('Patterns') ? patterns : events).add(name);
    }
    // `Object.values(XPatterns)`: every pattern of that context.
    for (const [, constant] of readFileSync(file, 'utf8').matchAll(/Object\.values\(([A-Z][A-Za-z]*Patterns)\)/g)) {
      for (const name of Object.values((contracts as unknown as Record<string, Record<string, string>>)[constant!]!))
        if (contextOf(name) !== context) patterns.add(name);
    }
  }
  return { patterns, events };
}

describe("each context's declared dependencies", () => {
  const contexts = Object.keys(CleaveDependencies) as Array<keyof typeof CleaveDependencies>;

  it('name only patterns and events the contracts declare', () => {
    for (const context of contexts) {
      const d = CleaveDependencies[context];
      for (const pattern of d.calls) expect(Object.keys(CleaveRequests), `${context} calls ${pattern}`).toContain(pattern);
      for (const event of [...d.consumes, ...d.observes]) expect(Object.keys(CleaveEvents), `${context} handles ${event}`).toContain(event);
    }
  });

  it("match what each context's source calls and handles: nothing more, nothing less", () => {
    for (const context of contexts) {
      const { patterns, events } = referencedBy(context);
      const d = CleaveDependencies[context];
      expect([...patterns].sort(), `the patterns ${context} names`).toEqual([...d.calls].sort());
      expect([...events].sort(), `the events ${context} names`).toEqual([...d.consumes, ...d.observes].sort());
    }
  });

  it('catch a call the contracts do not list', () => {
    // What the check above reads a context's source with, on a line a careless change could add.
    const line = 'await this.bus.send(LedgerPatterns.TopUp, { accountId, amount, currency });';
    const found = [...line.matchAll(/\b([A-Z][A-Za-z]*(?:Patterns|EventNames))\.([A-Za-z]+)\b/g)].map(([, c, m]) => resolve(c!, m!));
    expect(found).toEqual(['ledger.top-up']);
    expect(CleaveDependencies.cards.calls).not.toContain('ledger.top-up');
  });
});
