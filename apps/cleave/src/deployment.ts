import { AccountsModule } from '@cleave/accounts';
import { CardsModule } from '@cleave/cards';
import { GatewayModule, setUpGatewayHttp } from '@cleave/gateway';
import { IdentityModule } from '@cleave/identity';
import { CleaveEvents, CleaveRequests } from '@cleave/contracts';
import { LedgerModule } from '@cleave/ledger';
import type { CleaveDeployment } from '@cleave/platform';
import { cleaveVersion } from './version';

/** Cleave's contexts, each a module placed by CLEAVE_SERVICES. */
export const cleaveDeployment: CleaveDeployment = {
  contracts: { requests: CleaveRequests, events: CleaveEvents },
  contexts: { gateway: GatewayModule, identity: IdentityModule, accounts: AccountsModule, ledger: LedgerModule, cards: CardsModule },
  http: { context: 'gateway', setup: setUpGatewayHttp },
  version: cleaveVersion(),
};
