import { cardsApiSuite } from './cards-api';

cardsApiSuite('monolith', 'sqlite');
