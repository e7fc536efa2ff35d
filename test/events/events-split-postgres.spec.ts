import { eventFlowSuite } from './event-flow';

eventFlowSuite('split', 'postgres');
