// First: the contracts' decorators read design types as they load.
import 'reflect-metadata';
import { CleaveDependencies, CleaveEvents, CleaveRequests } from '@cleave/contracts';
import type { CleaveDeployment } from '@cleave/platform';
import { cleaveVersion } from './version';

/**
 * Cleave's contexts, each a module placed by CLEAVE_SERVICES. Imported on demand: a process loads only the
 * contexts it hosts (a ledger-only process never loads the gateway's Fastify plugins, swagger or DTOs).
 */
export const cleaveDeployment: CleaveDeployment = {
  contracts: { requests: CleaveRequests, events: CleaveEvents, dependencies: CleaveDependencies },
  contexts: {
    gateway: () => import('@cleave/gateway').then((m) => m.GatewayModule),
    identity: () => import('@cleave/identity').then((m) => m.IdentityModule),
    accounts: () => import('@cleave/accounts').then((m) => m.AccountsModule),
    ledger: () => import('@cleave/ledger').then((m) => m.LedgerModule),
    cards: () => import('@cleave/cards').then((m) => m.CardsModule),
    feed: () => import('@cleave/feed').then((m) => m.FeedModule),
    webhooks: () => import('@cleave/webhooks').then((m) => m.WebhooksModule),
  },
  http: {
    context: 'gateway',
    load: () => import('@cleave/gateway').then((m) => ({ serverOptions: m.gatewayServerOptions, setup: m.setUpGatewayHttp })),
  },
  version: cleaveVersion(),
};
