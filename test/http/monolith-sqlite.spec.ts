import { bankApiSuite } from './bank-api';

bankApiSuite('monolith', 'sqlite');
