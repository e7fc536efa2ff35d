import { eventFlowSuite } from './event-flow';

eventFlowSuite('monolith', 'sqlite');
