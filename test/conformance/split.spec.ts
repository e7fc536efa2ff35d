import { busConformanceSuite } from './bus-conformance';

busConformanceSuite('split');
