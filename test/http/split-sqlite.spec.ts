import { bankApiSuite } from './bank-api';

bankApiSuite('split', 'sqlite');
