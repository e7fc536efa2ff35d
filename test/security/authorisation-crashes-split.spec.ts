import { authorisationCrashSuite } from './authorisation-crashes';

const LATE_CARDS = { on: 'cards', value: 'cards.authorise=reply-delay:2500' };

authorisationCrashSuite('split', 'sqlite', [
  { name: 'cards dies once the authorisation is recorded', crashes: { cards: 'cards.authorise:after-record' } },
  { name: 'cards dies once the ledger placed the hold', crashes: { cards: 'cards.authorise:after-hold' } },
  { name: 'cards dies once it approved, before answering', crashes: { cards: 'cards.authorise:after-approve' } },
  // Back, cards must not answer the network's retry before it has applied the abandonment waiting for it.
  {
    name: 'cards dies once it approved, and comes back slow to apply the abandonment',
    crashes: { cards: 'cards.authorise:after-approve' },
    comeBackWith: { cards: { CLEAVE_EVENT_FAULTS: 'cards:gateway.authorisation-abandoned.v1=delay:2000' } },
  },
  { name: 'the gateway dies before answering an approval', crashes: { gateway: 'gateway.authorise:before-answer' } },
  {
    name: 'cards answers too late, and the gateway dies once it recorded the abandonment',
    crashes: { gateway: 'gateway.authorise:after-abandon' },
    faults: LATE_CARDS,
  },
  {
    name: 'cards dies once it approved, and the gateway once it recorded the abandonment',
    crashes: { cards: 'cards.authorise:after-approve', gateway: 'gateway.authorise:after-abandon' },
  },
  // The network hears "declined" and the gateway dies at once: nothing in its memory can finish the job.
  {
    name: 'cards dies once it approved, and the gateway once the network heard "declined"',
    crashes: { cards: 'cards.authorise:after-approve', gateway: 'gateway.authorise:after-answer' },
  },
  {
    name: 'cards dies once the hold is placed, and the gateway once the network heard "declined"',
    crashes: { cards: 'cards.authorise:after-hold', gateway: 'gateway.authorise:after-answer' },
  },
]);
