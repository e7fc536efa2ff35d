import { tracingSuite } from './tracing';

tracingSuite('split');
