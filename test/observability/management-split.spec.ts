import { managementSuite } from './management';

managementSuite('split');
