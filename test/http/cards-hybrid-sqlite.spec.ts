import { cardsApiSuite } from './cards-api';

cardsApiSuite('hybrid', 'sqlite');
