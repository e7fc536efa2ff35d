import { bankApiSuite } from './bank-api';

bankApiSuite('monolith', 'postgres');
