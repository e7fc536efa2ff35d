import { cardsApiSuite } from './cards-api';

cardsApiSuite('split', 'sqlite');
