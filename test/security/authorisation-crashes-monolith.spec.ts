import { authorisationCrashSuite } from './authorisation-crashes';

authorisationCrashSuite('monolith', 'sqlite', [
  { name: 'the bank dies once the authorisation is recorded', crashes: { all: 'cards.authorise:after-record' } },
  { name: 'the bank dies once the ledger placed the hold', crashes: { all: 'cards.authorise:after-hold' } },
  { name: 'the bank dies once cards approved, before answering', crashes: { all: 'cards.authorise:after-approve' } },
  {
    name: 'cards answers too late, and the bank dies once the network heard "declined"',
    crashes: { all: 'gateway.authorise:after-answer' },
    faults: { on: 'all', value: 'cards.authorise=reply-delay:2500' },
  },
  {
    name: 'cards answers too late, and the bank dies once it recorded the abandonment',
    crashes: { all: 'gateway.authorise:after-abandon' },
    faults: { on: 'all', value: 'cards.authorise=reply-delay:2500' },
  },
]);
