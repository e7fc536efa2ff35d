import { eventFlowSuite } from './event-flow';

eventFlowSuite('hybrid', 'sqlite');
