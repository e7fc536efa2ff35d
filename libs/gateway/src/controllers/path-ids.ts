import { AccountsPatterns, Ids, PlatformErrors } from '@cleave/contracts';
import { CleaveError, currentContext, type MessageBus } from '@cleave/platform';

/** An id from the path, or not_found: a malformed id names nothing, exactly like a missing one. */
export function pathId(kind: keyof typeof Ids, value: string, what: string): string {
  if (!Ids[kind].test(value)) throw CleaveError.notFound(`no ${what} ${value}`);
  return value;
}

/** Money-moving routes need an Idempotency-Key header, so a retry after a timeout never moves money twice. */
export function requireIdempotencyKey(): void {
  if (!currentContext()?.idempotencyKey) {
    throw CleaveError.of(
      PlatformErrors.missingIdempotencyKey,
      'this request moves money: send an Idempotency-Key header, the same on every retry',
    );
  }
}

/** The authenticated user's id. */
export function userId(): string {
  return currentContext()!.principal!.id;
}

/**
 * The gateway's one ownership check, for routes whose data lives outside accounts (transactions, the feed,
 * webhooks): accounts decides, by its one rule, whether the caller owns the account; anyone else's account is
 * not_found, exactly like a missing one. Routes served by accounts itself (balances, pots, payments) are
 * checked there. `test/architecture/ownership.spec.ts` holds every account-scoped route to one or the other.
 */
export async function assertOwnsAccount(bus: MessageBus, accountId: string): Promise<void> {
  await bus.send(AccountsPatterns.GetAccount, { accountId });
}

/**
 * Checks the caller owns the account something (a transaction, a webhook) belongs to; if not, that thing is
 * not_found, exactly as a missing one, so its id leaks nothing.
 */
export async function assertOwnsAccountOf(bus: MessageBus, accountId: string, notFound: string): Promise<void> {
  try {
    await assertOwnsAccount(bus, accountId);
  } catch (error) {
    if (error instanceof CleaveError && error.code === 'not_found') throw CleaveError.notFound(notFound);
    throw error;
  }
}
