import { busConformanceSuite } from './bus-conformance';

busConformanceSuite('hybrid');
