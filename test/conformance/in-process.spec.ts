import { busConformanceSuite } from './bus-conformance';

busConformanceSuite('in-process');
