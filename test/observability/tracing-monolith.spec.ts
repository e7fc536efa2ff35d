import { tracingSuite } from './tracing';

tracingSuite('monolith');
