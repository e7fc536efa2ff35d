import { bankApiSuite } from './bank-api';

bankApiSuite('hybrid', 'sqlite');
