import { bankApiSuite } from './bank-api';

// Two identity replicas on one database: the login limits hold across them.
bankApiSuite('split', 'postgres', { identity: 2 });
