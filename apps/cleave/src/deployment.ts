import { AccountsModule } from '@cleave/accounts';
import { CardsModule } from '@cleave/cards';
import { FeedModule } from '@cleave/feed';
import { GatewayModule, gatewayServerOptions, setUpGatewayHttp } from '@cleave/gateway';
import { IdentityModule } from '@cleave/identity';
import { CleaveDependencies, CleaveEvents, CleaveRequests } from '@cleave/contracts';
import { LedgerModule } from '@cleave/ledger';
import type { CleaveDeployment } from '@cleave/platform';
import { WebhooksModule } from '@cleave/webhooks';
import { cleaveVersion } from './version';

/** Cleave's contexts, each a module placed by CLEAVE_SERVICES. */
export const cleaveDeployment: CleaveDeployment = {
  contracts: { requests: CleaveRequests, events: CleaveEvents, dependencies: CleaveDependencies },
  contexts: {
    gateway: GatewayModule,
    identity: IdentityModule,
    accounts: AccountsModule,
    ledger: LedgerModule,
    cards: CardsModule,
    feed: FeedModule,
    webhooks: WebhooksModule,
  },
  http: { context: 'gateway', serverOptions: gatewayServerOptions, setup: setUpGatewayHttp },
  version: cleaveVersion(),
};
