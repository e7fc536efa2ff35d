import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const controllers = fileURLToPath(new URL('../../libs/gateway/src/controllers', import.meta.url));

/** Each route handler of a controller's source: its decorator line (`@Get('balance')`) and its body. */
export function routesOf(source: string): Array<{ route: string; body: string }> {
  const starts = [...source.matchAll(/^ {2}@(Get|Post|Put|Patch|Delete)\(([^)]*)\)/gm)];
  return starts.map((match, i) => ({
    route: `${match[1]!.toUpperCase()} ${match[2]}`,
    body: source.slice(match.index, starts[i + 1]?.index ?? source.length),
  }));
}

/**
 * Patterns of other contexts that ask accounts about the caller's ownership themselves, before anything
 * else (cards: a card is issued on, and listed for, an account the caller owns).
 */
const CHECKED_BY_THEIR_CONTEXT = ['CardsPatterns.IssueCard', 'CardsPatterns.ListCards'];

/** A route acting on an account the request names must have accounts check that the caller owns it. */
export function unchecked(source: string): string[] {
  // A controller's `owned(id)` that checks the owner of what it reads checks for the routes that call it.
  const ownedChecks = /private async owned\([^]*?assertOwnsAccountOf\(/.test(source);
  return routesOf(source)
    .filter(({ body }) => /\b(query|body)\.account_id\b/.test(body))
    .filter(
      ({ body }) =>
        !/assertOwnsAccount(Of)?\(/.test(body) &&
        !(ownedChecks && /this\.owned\(/.test(body)) &&
        !/AccountsPatterns\.[A-Za-z]+/.test(body) &&
        !CHECKED_BY_THEIR_CONTEXT.some((p) => body.includes(p)),
    )
    .map(({ route }) => route);
}

describe('ownership', () => {
  const sources = readdirSync(controllers)
    .filter((f) => f.endsWith('.controller.ts'))
    .map((f) => [f, readFileSync(join(controllers, f), 'utf8')] as const);

  it('every route naming an account checks its owner through accounts, the one place the rule lives', () => {
    const offenders = sources.flatMap(([file, source]) => unchecked(source).map((route) => `${file}: ${route}`));
    expect(offenders).toEqual([]);
  });

  it('cards does ask accounts first, as the routes above rely on', () => {
    const cards = readFileSync(fileURLToPath(new URL('../../libs/cards/src/cards/cards.handler.ts', import.meta.url)), 'utf8');
    for (const method of ['async issue(', 'async list(']) {
      const body = cards.slice(cards.indexOf(method), cards.indexOf('\n  }\n', cards.indexOf(method)));
      expect(body, method).toContain('AccountsPatterns.GetAccount');
    }
  });

  it('the gateway asks accounts about ownership in one place (path-ids.ts), not route by route', () => {
    expect(sources.filter(([, source]) => source.includes('AccountsPatterns.GetAccount')).map(([file]) => file)).toEqual([]);
  });

  it('the check above catches a route that reads another account with no owner check', () => {
    const route = `
  @Get('transactions')
  async list(@Query() query: TransactionsQuery) {
    return this.bus.send(LedgerPatterns.ListTransactions, { accountId: query.account_id });
  }

  @Get('balance')
  async balance(@Query() query: BalanceQuery) {
    return this.bus.send(AccountsPatterns.GetBalance, { accountId: query.account_id });
  }
`;
    expect(unchecked(route)).toEqual(["GET 'transactions'"]);
  });
});
