/**
 * The bounded contexts, by the name that prefixes their patterns and events (`ledger.get-balance`).
 * A process hosts any subset of them, chosen by configuration.
 */
export const ContextNames = ['identity', 'accounts', 'ledger', 'cards', 'feed', 'webhooks', 'gateway'] as const;

/** One of {@link ContextNames}. */
export type ContextName = (typeof ContextNames)[number];
