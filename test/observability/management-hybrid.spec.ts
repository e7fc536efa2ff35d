import { managementSuite } from './management';

managementSuite('hybrid');
