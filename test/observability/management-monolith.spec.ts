import { managementSuite } from './management';

managementSuite('monolith');
